"""Predictive models: propensity, churn and customer lifetime value."""

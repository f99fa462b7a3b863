"""Maximum likelihood on log-parameters, shared by the BG/NBD and Gamma-Gamma models."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from cible.exceptions import CLVError
from cible.predict.clv._inputs import FloatArray

# Total negative log-likelihood and its gradient with respect to the log-parameters.
Objective = Callable[[FloatArray], tuple[float, FloatArray]]

_LOG_BOUND = 30.0  # parameters stay within exp(+-30): beyond, the model is degenerate anyway
_GRAD_TOL = 1e-5  # largest accepted gradient of the mean objective when the optimiser stops early
_HESSIAN_STEP = 1e-5


@dataclass(frozen=True)
class FitOutcome:
    log_params: FloatArray
    log_likelihood: float  # total, without the penalty
    covariance: FloatArray  # of the natural parameters (delta method from the log ones)
    n_iter: int


def maximise_log_likelihood(
    objective: Objective,
    start: FloatArray,
    *,
    n_obs: int,
    penalizer: float,
    max_iter: int,
    model: str,
) -> FitOutcome:
    """Minimise ``mean negative log-likelihood + penalizer * sum(params**2)`` with L-BFGS-B.

    The mean (not the total) keeps the objective's scale independent of the number of customers,
    as in ``lifetimes``, so that the penalizer means the same thing on any data size.
    """

    def penalised(log_params: FloatArray) -> tuple[float, FloatArray]:
        value, grad = objective(log_params)
        params = np.exp(log_params)
        return (
            value / n_obs + penalizer * float(np.sum(params**2)),
            grad / n_obs + 2.0 * penalizer * params**2,
        )

    bounds = [(-_LOG_BOUND, _LOG_BOUND)] * start.size
    res = optimize.minimize(
        penalised,
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": max_iter, "ftol": 1e-14, "gtol": 1e-9},
    )
    _, grad = penalised(res.x)
    if not np.isfinite(res.fun) or (not res.success and np.max(np.abs(grad)) > _GRAD_TOL):
        raise CLVError(
            f"the {model} likelihood could not be maximised ({res.message}; largest gradient "
            f"{np.max(np.abs(grad)):.2g} after {res.nit} iterations): try a penalizer > 0 or "
            "check that the data hold enough repeat purchases"
        )
    log_lik, _ = objective(res.x)
    return FitOutcome(
        log_params=np.asarray(res.x, dtype=np.float64),
        log_likelihood=-log_lik,
        covariance=_covariance(penalised, res.x, n_obs),
        n_iter=int(res.nit),
    )


def _covariance(penalised: Objective, log_params: FloatArray, n_obs: int) -> FloatArray:
    """Inverse observed information, by central differences of the analytic gradient.

    The Hessian is taken in log-parameters and mapped to the natural ones with the delta method
    ``cov(theta) = diag(theta) cov(log theta) diag(theta)``.
    """
    k = log_params.size
    hess = np.empty((k, k))
    for i in range(k):
        step = np.zeros(k)
        step[i] = _HESSIAN_STEP
        hess[i] = (penalised(log_params + step)[1] - penalised(log_params - step)[1]) / (
            2 * _HESSIAN_STEP
        )
    hess = (hess + hess.T) / 2.0 * n_obs
    try:
        np.linalg.cholesky(hess)  # positive definite: a proper maximum
        cov_log = np.linalg.inv(hess)
    except np.linalg.LinAlgError:
        return np.full((k, k), np.nan)
    theta = np.exp(log_params)
    return np.asarray(cov_log * np.outer(theta, theta), dtype=np.float64)

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
_FLAT = 1e-9  # eigenvalue of the information, relative to the largest, that counts as flat
_LOADING = 1e-3  # a parameter loads on a flat direction above this share
_VALUE_TOL = 1e-9  # relative improvement of the mean objective that counts as none
_STEP_SHARE = 0.01  # accepted remaining Newton step, as a share of the standard error


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
    res = _lbfgsb(penalised, start, bounds, max_iter)
    if not res.success:  # an early stop of the line search: one restart from where it stopped
        again = _lbfgsb(penalised, res.x, bounds, max_iter)
        if np.isfinite(again.fun) and again.fun <= res.fun:
            res = again
    if not np.isfinite(res.fun) or not (
        res.success
        or _close_enough(penalised, res.x, n_obs, bounds)
        or _no_better_point(penalised, res.x, float(res.fun), bounds)
    ):
        _, grad = penalised(res.x)
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


def _lbfgsb(
    penalised: Objective, start: FloatArray, bounds: list[tuple[float, float]], max_iter: int
) -> optimize.OptimizeResult:
    return optimize.minimize(
        penalised,
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": max_iter, "ftol": 1e-14, "gtol": 1e-9},
    )


def _close_enough(
    penalised: Objective, log_params: FloatArray, n_obs: int, bounds: list[tuple[float, float]]
) -> bool:
    """Whether a point where the optimiser stopped early is a maximum as good as the data allow.

    The optimiser can stop on a line-search failure a hair away from the optimum (gradients of
    1e-5 on the mean objective, depending on the scipy/BLAS build). That point is accepted when the
    projected gradient is below :data:`_GRAD_TOL`, or when the Newton step that would remain,
    ``H^-1 g`` in log-parameters, is under :data:`_STEP_SHARE` of each parameter's standard error
    (the optimiser's error is then negligible beside the statistical one). A flat or indefinite
    likelihood (no Newton step) is not accepted.
    """
    _, grad = penalised(log_params)
    grad = np.array(grad, dtype=np.float64)
    lower = np.array([b[0] for b in bounds])
    upper = np.array([b[1] for b in bounds])
    grad[(log_params <= lower) & (grad > 0)] = 0.0  # pushing out of the box: projected away
    grad[(log_params >= upper) & (grad < 0)] = 0.0
    if float(np.max(np.abs(grad))) <= _GRAD_TOL:
        return True
    hess = _hessian(penalised, log_params)
    try:
        np.linalg.cholesky(hess)
        step = np.linalg.solve(hess, grad)
        se_log = np.sqrt(np.diag(np.linalg.inv(hess)) / n_obs)
    except np.linalg.LinAlgError:
        return False
    return bool(np.all(np.abs(step) <= _STEP_SHARE * se_log))


def _no_better_point(
    penalised: Objective, log_params: FloatArray, value: float, bounds: list[tuple[float, float]]
) -> bool:
    """Whether a derivative-free search (Powell) from ``log_params`` finds no point whose mean
    objective is lower by more than :data:`_VALUE_TOL`: then the stop is on a flat ridge of the
    likelihood (a degenerate but legitimate maximum, e.g. q and v growing together), not short of it.
    """
    res = optimize.minimize(
        lambda lp: penalised(lp)[0],
        log_params,
        method="Powell",
        bounds=bounds,
        options={"xtol": 1e-8, "ftol": 1e-14, "maxfev": 4000},
    )
    return bool(
        np.isfinite(res.fun) and value - float(res.fun) <= _VALUE_TOL * max(1.0, abs(value))
    )


def _hessian(penalised: Objective, log_params: FloatArray) -> FloatArray:
    """Hessian of the (mean, penalised) objective by central differences of its gradient."""
    k = log_params.size
    hess = np.empty((k, k))
    for i in range(k):
        step = np.zeros(k)
        step[i] = _HESSIAN_STEP
        hess[i] = (penalised(log_params + step)[1] - penalised(log_params - step)[1]) / (
            2 * _HESSIAN_STEP
        )
    return np.asarray((hess + hess.T) / 2.0, dtype=np.float64)


def _covariance(penalised: Objective, log_params: FloatArray, n_obs: int) -> FloatArray:
    """Inverse observed information, by central differences of the analytic gradient.

    The Hessian is taken in log-parameters and mapped to the natural ones with the delta method
    ``cov(theta) = diag(theta) cov(log theta) diag(theta)``. Directions in which the likelihood is
    flat (eigenvalues under :data:`_FLAT` of the largest, or negative) carry no information: the
    parameters that load on them get NaN rows and columns, the others their covariance from the
    informative directions only. Which parameters are undefined then depends on the data, not on
    rounding noise deciding whether a Cholesky factorisation succeeds.
    """
    k = log_params.size
    hess = _hessian(penalised, log_params) * n_obs
    if not np.all(np.isfinite(hess)):
        return np.full((k, k), np.nan)
    eigval, eigvec = np.linalg.eigh(hess)
    top = float(np.max(np.abs(eigval)))
    informative = eigval > _FLAT * top if top > 0 else np.zeros(k, dtype=bool)
    vec = eigvec[:, informative]
    cov_log = (vec / eigval[informative]) @ vec.T
    flat = np.any(np.abs(eigvec[:, ~informative]) > _LOADING, axis=1)
    cov_log[flat, :] = np.nan
    cov_log[:, flat] = np.nan
    theta = np.exp(log_params)
    return np.asarray(cov_log * np.outer(theta, theta), dtype=np.float64)

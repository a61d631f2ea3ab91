r"""Second-order cumulant (mean-field) theory of N identical two-level emitters.

The ensemble decays by individual emission (rate ``gamma``) and collective,
Purcell-enhanced emission (rate ``Gamma``), the master equation

.. math:: \dot\rho = \gamma\sum_i \mathcal D[\sigma_i^-]\rho + \Gamma\,\mathcal D[S^-]\rho,
   \qquad \mathcal D[o]\rho = o\rho o^\dagger - \tfrac12\{o^\dagger o, \rho\},
   \qquad S^- = \sum_i \sigma_i^-,

of Pirmoradian & Mølmer, PRA 100, 043833 (2019), Eq. (5) (with the sign of
:math:`\mathcal D` and the normalization of :math:`S^-` settled as on the book's
errata page; :math:`\sigma^- = |g\rangle\langle e|`). For a permutation-symmetric
state, one- and two-spin moments obey nine equations (the paper's Appendix) that
involve three-spin moments; these are closed by dropping the third cumulant,
:math:`\langle ABC\rangle \approx \langle A\rangle\langle BC\rangle + \langle B\rangle\langle AC\rangle
+ \langle C\rangle\langle AB\rangle - 2\langle A\rangle\langle B\rangle\langle C\rangle`.

The nine complex moments are stored as nine real numbers, in the order of
:data:`MOMENTS`: :math:`\langle\sigma^z\rangle, \langle\sigma^x\rangle, \langle\sigma^y\rangle,
\langle\sigma_i^+\sigma_j^-\rangle, \langle\sigma_i^z\sigma_j^z\rangle` (real for symmetric states),
and the real and imaginary parts of :math:`\langle\sigma_i^+\sigma_j^z\rangle` and
:math:`\langle\sigma_i^+\sigma_j^+\rangle`; their conjugates are
:math:`\langle\sigma_i^-\sigma_j^z\rangle` and :math:`\langle\sigma_i^-\sigma_j^-\rangle`.
Rates are in units of ``gamma`` if ``gamma = 1``; energies in units of the
transition energy :math:`\hbar\omega_s`.
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

from ._checks import check_count, check_rates, check_tlist

__all__ = ["MOMENTS", "CumulantEnsemble"]

MOMENTS = ("sz", "sx", "sy", "pm", "zz", "pz_re", "pz_im", "pp_re", "pp_im")


class CumulantEnsemble:
    r"""Second-order cumulant equations for N emitters under Eq. (5) of Pirmoradian & Mølmer (2019).

    Parameters
    ----------
    N : int
        Number of emitters, >= 2. For N = 2 every closed three-spin term carries a
        factor (N - 2), so the equations are exact.

    Raises
    ------
    TypeError
        If ``N`` is not an integer.
    ValueError
        If ``N < 2``.

    References
    ----------
    F. Pirmoradian and K. Mølmer, Phys. Rev. A 100, 043833 (2019), Eqs. (5)-(7) and Appendix.
    """

    def __init__(self, N):
        self.N = check_count("N", N, 2)

    # -- states ---------------------------------------------------------------
    @staticmethod
    def ground():
        """Moments of the ground state (all emitters in |g>): sz = -1, zz = 1, all else 0."""
        return np.array([-1.0, 0, 0, 0, 1.0, 0, 0, 0, 0])

    @staticmethod
    def pi_pulse(y):
        r"""Instantaneous π rotation about x: :math:`(\sigma^x, \sigma^y, \sigma^z) \to (\sigma^x, -\sigma^y, -\sigma^z)`.

        Pirmoradian & Mølmer (2019), text below Eq. (7). On the nine moments:
        :math:`\sigma^\pm \to \sigma^\mp`, so :math:`\langle\sigma^+\sigma^-\rangle` and
        :math:`\langle\sigma^z\sigma^z\rangle` are unchanged, :math:`\langle\sigma^+\sigma^z\rangle
        \to -\langle\sigma^-\sigma^z\rangle` and :math:`\langle\sigma^+\sigma^+\rangle \to \langle\sigma^-\sigma^-\rangle`.

        Parameters
        ----------
        y : array_like, shape (9,) or (n, 9)
            Moments in the order of :data:`MOMENTS`.

        Returns
        -------
        ndarray, same shape as ``y``
        """
        y = np.asarray(y, dtype=float)
        if y.shape[-1] != 9:
            raise ValueError(f"y must have 9 moments in its last axis, got shape {y.shape}")
        return y * np.array([-1, 1, -1, 1, 1, -1, 1, 1, -1])

    # -- observables ----------------------------------------------------------
    def Jz(self, y):
        r""":math:`M = \langle S_z\rangle = (N/2)\langle\sigma^z\rangle` (text above Eq. (7)); ``y`` shape (..., 9)."""
        return 0.5 * self.N * np.asarray(y)[..., 0]

    def J2(self, y):
        r""":math:`\langle \vec S^2\rangle = 3N/4 + N(N-1)(4\langle\sigma_i^+\sigma_j^-\rangle + \langle\sigma_i^z\sigma_j^z\rangle)/4`, Eq. (7)."""
        y = np.asarray(y)
        N = self.N
        return 0.75 * N + 0.25 * N * (N - 1) * (4 * y[..., 3] + y[..., 4])

    def collective_emission_rate(self, y, Gamma):
        r"""Energy flow into the cavity, :math:`\Gamma\langle S^+S^-\rangle = \Gamma N[(1+\langle\sigma^z\rangle)/2 + (N-1)\langle\sigma_i^+\sigma_j^-\rangle]`.

        The Γ terms of the first of Eqs. (6), times N/2 (quanta per unit time).
        """
        y = np.asarray(y)
        return Gamma * self.N * (0.5 * (1 + y[..., 0]) + (self.N - 1) * y[..., 3])

    # -- dynamics -------------------------------------------------------------
    def rhs(self, t, y, gamma, Gamma):
        r"""Time derivative of the nine moments (Appendix of Pirmoradian & Mølmer 2019, as corrected).

        With :math:`s_\pm = \langle\sigma^\pm\rangle`, :math:`p = \langle\sigma_i^+\sigma_j^-\rangle`,
        :math:`z = \langle\sigma_i^z\sigma_j^z\rangle`, :math:`q = \langle\sigma_i^+\sigma_j^z\rangle`,
        :math:`u = \langle\sigma_i^+\sigma_j^+\rangle`:

        .. math::
            \dot s_z &= -(\gamma+\Gamma)(1+s_z) - 2\Gamma(N-1)p \\
            \dot s_+ &= -\tfrac12(\gamma+\Gamma)s_+ + \tfrac12\Gamma(N-1)q \\
            \dot p &= -(\gamma+\Gamma)p + \tfrac12\Gamma(s_z + z) + \Gamma(N-2)\langle\sigma^+\sigma^-\sigma^z\rangle \\
            \dot z &= -2(\gamma+\Gamma)(s_z+z) + 4\Gamma p - 4\Gamma(N-2)\langle\sigma^+\sigma^-\sigma^z\rangle \\
            \dot q &= -(\tfrac32\gamma+\tfrac52\Gamma)q - (\gamma+\tfrac32\Gamma)s_+
                      + \tfrac12\Gamma(N-2)\langle\sigma^+\sigma^z\sigma^z\rangle - 2\Gamma(N-2)\langle\sigma^+\sigma^+\sigma^-\rangle \\
            \dot u &= -(\gamma+\Gamma)u + \Gamma(N-2)\langle\sigma^+\sigma^+\sigma^z\rangle

        with the three-spin moments (on three different emitters) closed by dropping
        the third cumulant.

        Parameters
        ----------
        t : float
            Time (unused; the generator is constant).
        y : array_like, shape (9,)
            Moments in the order of :data:`MOMENTS`.
        gamma, Gamma : float
            Individual and collective decay rates, >= 0 (not validated here, for speed).

        Returns
        -------
        list of 9 floats
        """
        sz, sx, sy, p, z, qr, qi, ur, ui = y
        N = self.N
        sp = 0.5 * complex(sx, sy)
        sm = sp.conjugate()
        q = complex(qr, qi)
        u = complex(ur, ui)
        g, G = gamma, Gamma
        # three-spin moments, third cumulant dropped (Appendix)
        pmz = 2 * (sp * q.conjugate()).real + sz * p - 2 * abs(sp) ** 2 * sz
        pzz = sp * z + 2 * sz * q - 2 * sp * sz * sz
        ppm = 2 * sp * p + sm * u - 2 * sp * sp * sm
        ppz = 2 * sp * q + sz * u - 2 * sp * sp * sz
        dsz = -(g + G) * (1 + sz) - 2 * G * (N - 1) * p
        dsp = -0.5 * (g + G) * sp + 0.5 * G * (N - 1) * q
        dp = -(g + G) * p + 0.5 * G * (sz + z) + G * (N - 2) * pmz
        dz = -2 * (g + G) * (sz + z) + 4 * G * p - 4 * G * (N - 2) * pmz
        dq = (
            -(1.5 * g + 2.5 * G) * q
            - (g + 1.5 * G) * sp
            + 0.5 * G * (N - 2) * pzz
            - 2 * G * (N - 2) * ppm
        )
        du = -(g + G) * u + G * (N - 2) * ppz
        return [dsz, 2 * dsp.real, 2 * dsp.imag, dp, dz, dq.real, dq.imag, du.real, du.imag]

    def evolve(self, y0, tlist, gamma, Gamma, rtol=1e-10, atol=1e-12):
        r"""Integrate the cumulant equations at constant rates (LSODA, stiff-aware).

        Parameters
        ----------
        y0 : array_like, shape (9,)
            Moments at ``tlist[0]``.
        tlist : array_like, shape (n,)
            Strictly increasing times (units of 1/gamma if gamma = 1).
        gamma, Gamma : float
            Individual and collective decay rates, >= 0.
        rtol, atol : float, optional
            Integrator tolerances.

        Returns
        -------
        moments : ndarray, shape (n, 9)
            Moments at ``tlist`` (the first row is ``y0``).
        emitted : ndarray, shape (n,)
            Energy emitted into the cavity since ``tlist[0]``, the integral of
            :meth:`collective_emission_rate` (units of the transition energy).

        Raises
        ------
        ValueError
            If a rate is negative, ``tlist`` is not increasing, or ``y0`` has the wrong shape.
        RuntimeError
            If the integrator fails.
        """
        check_rates(gamma=gamma, Gamma=Gamma)
        t = check_tlist(tlist)
        y0 = np.asarray(y0, dtype=float)
        if y0.shape != (9,):
            raise ValueError(f"y0 must have shape (9,), got {y0.shape}")
        if t.size == 1:
            return y0[None, :].copy(), np.zeros(1)

        def f(tt, yy):
            return [
                *self.rhs(tt, yy[:9], gamma, Gamma),
                self.collective_emission_rate(yy[:9], Gamma),
            ]

        sol = solve_ivp(
            f, (t[0], t[-1]), [*y0, 0.0], method="LSODA", t_eval=t, rtol=rtol, atol=atol
        )
        if not sol.success:
            raise RuntimeError(f"cumulant integration failed: {sol.message}")
        return sol.y[:9].T, sol.y[9]

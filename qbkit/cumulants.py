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
:math:`\langle ABC\rangle \approx \langle A\rangle\langle BC\rangle
+ \langle B\rangle\langle AC\rangle + \langle C\rangle\langle AB\rangle
- 2\langle A\rangle\langle B\rangle\langle C\rangle`.

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
import qutip
from scipy.integrate import solve_ivp

from ._checks import check_count, check_rates, check_tlist
from .dicke import EnsembleEvolution

__all__ = [
    "MOMENTS",
    "CumulantEnsemble",
    "two_emitter_state",
    "moments_of",
    "mesolve_moments",
]

MOMENTS = ("sz", "sx", "sy", "pm", "zz", "pz_re", "pz_im", "pp_re", "pp_im")


class CumulantEnsemble:
    r"""Second-order cumulant equations for N emitters under Eq. (5) of Pirmoradian & Mølmer (2019).

    Parameters
    ----------
    N : int
        Number of emitters, >= 2. For N = 2 every closed three-spin term carries a
        factor (N - 2), so the equations are exact.
    as_printed : bool, optional
        Use the Appendix as printed in two places (errata 4 and 5 of the book): the
        source term of :math:`d\langle\sigma_i^+\sigma_j^-\rangle/dt` as
        :math:`\tfrac\Gamma2(\langle\sigma_i^z\rangle + \langle\sigma_j^z\rangle) = \Gamma s_z`, and
        the :math:`\tfrac\Gamma2\langle\sigma^+\sigma^z\sigma^z\rangle` term of
        :math:`d\langle\sigma_i^+\sigma_j^z\rangle/dt` without its factor N - 2. For
        checking the paper's own numbers only; the default is the corrected set.

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

    def __init__(self, N, *, as_printed=False):
        self.N = check_count("N", N, 2)
        self.as_printed = bool(as_printed)

    # -- states ---------------------------------------------------------------
    @staticmethod
    def ground():
        """Moments of the ground state (all emitters in |g>): sz = -1, zz = 1, all else 0."""
        return np.array([-1.0, 0, 0, 0, 1.0, 0, 0, 0, 0])

    @staticmethod
    def pi_pulse(y):
        r"""Instantaneous π rotation about x: σ^y and σ^z change sign.

        Pirmoradian & Mølmer (2019), text below Eq. (7). On the nine moments:
        :math:`\sigma^\pm \to \sigma^\mp`, so :math:`\langle\sigma^+\sigma^-\rangle` and
        :math:`\langle\sigma^z\sigma^z\rangle` are unchanged, :math:`\langle\sigma^+\sigma^z\rangle
        \to -\langle\sigma^-\sigma^z\rangle` and
        :math:`\langle\sigma^+\sigma^+\rangle \to \langle\sigma^-\sigma^-\rangle`.

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
        r""":math:`M = \langle S_z\rangle = (N/2)\langle\sigma^z\rangle` ; y (..., 9)."""
        return 0.5 * self.N * np.asarray(y)[..., 0]

    def J2(self, y):
        r"""Eq. (7): :math:`\langle \vec S^2\rangle = 3N/4 + N(N-1)(4p + z)/4`; ``y`` (..., 9).

        With :math:`p = \langle\sigma_i^+\sigma_j^-\rangle` and
        :math:`z = \langle\sigma_i^z\sigma_j^z\rangle`.
        """
        y = np.asarray(y)
        N = self.N
        return 0.75 * N + 0.25 * N * (N - 1) * (4 * y[..., 3] + y[..., 4])

    def collective_emission_rate(self, y, Gamma):
        r"""Energy flow into the cavity, :math:`\Gamma\langle S^+S^-\rangle`.

        :math:`\Gamma N[(1+\langle\sigma^z\rangle)/2 + (N-1)\langle\sigma_i^+\sigma_j^-\rangle]`.

        The Γ terms of the first of Eqs. (6), times N/2 (quanta per unit time).
        """
        y = np.asarray(y)
        return Gamma * self.N * (0.5 * (1 + y[..., 0]) + (self.N - 1) * y[..., 3])

    # -- dynamics -------------------------------------------------------------
    def rhs(self, t, y, gamma, Gamma):
        r"""Time derivative of the nine moments (Appendix of Pirmoradian & Mølmer, as corrected).

        With :math:`s_\pm = \langle\sigma^\pm\rangle`,
        :math:`p = \langle\sigma_i^+\sigma_j^-\rangle`,
        :math:`z = \langle\sigma_i^z\sigma_j^z\rangle`,
        :math:`q = \langle\sigma_i^+\sigma_j^z\rangle`,
        :math:`u = \langle\sigma_i^+\sigma_j^+\rangle` and :math:`\langle ABC\rangle` for three
        different emitters:

        .. math::
            \dot s_z &= -(\gamma+\Gamma)(1+s_z) - 2\Gamma(N-1)p \\
            \dot s_+ &= -\tfrac12(\gamma+\Gamma)s_+ + \tfrac12\Gamma(N-1)q \\
            \dot p &= -(\gamma+\Gamma)p + \tfrac12\Gamma(s_z + z)
                      + \Gamma(N-2)\langle\sigma^+\sigma^-\sigma^z\rangle \\
            \dot z &= -2(\gamma+\Gamma)(s_z+z) + 4\Gamma p
                      - 4\Gamma(N-2)\langle\sigma^+\sigma^-\sigma^z\rangle \\
            \dot q &= -(\tfrac32\gamma+\tfrac52\Gamma)q - (\gamma+\tfrac32\Gamma)s_+
                      + \tfrac12\Gamma(N-2)\langle\sigma^+\sigma^z\sigma^z\rangle
                      - 2\Gamma(N-2)\langle\sigma^+\sigma^+\sigma^-\rangle \\
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
        source, n_zz = (G * sz, 1) if self.as_printed else (0.5 * G * (sz + z), N - 2)
        dp = -(g + G) * p + source + G * (N - 2) * pmz
        dz = -2 * (g + G) * (sz + z) + 4 * G * p - 4 * G * (N - 2) * pmz
        dq = (
            -(1.5 * g + 2.5 * G) * q
            - (g + 1.5 * G) * sp
            + 0.5 * G * n_zz * pzz
            - 2 * G * (N - 2) * ppm
        )
        du = -(g + G) * u + G * (N - 2) * ppz
        return [dsz, 2 * dsp.real, 2 * dsp.imag, dp, dz, dq.real, dq.imag, du.real, du.imag]

    def from_populations(self, j, m, p):
        r"""The nine moments of a permutation-symmetric state diagonal in the Dicke basis.

        From :math:`M = \sum p\,m`, :math:`\langle S_z^2\rangle = \sum p\,m^2` and
        :math:`\langle\vec S^2\rangle = \sum p\,j(j+1)`: :math:`s_z = 2M/N`,
        :math:`z = (4\langle S_z^2\rangle - N)/(N(N-1))`, p from Eq. (7), and zero
        coherences.

        Parameters
        ----------
        j, m, p : array_like, shape (dim,)
            Quantum numbers and populations of the Dicke levels (e.g. of
            :class:`qbkit.dicke.DickeEnsemble`).

        Returns
        -------
        ndarray, shape (9,)
        """
        j, m, p = (np.asarray(a, float) for a in (j, m, p))
        N = self.N
        pairs = N * (N - 1)
        z = (4 * (p @ m**2) - N) / pairs
        pm = (p @ (j * (j + 1)) - 0.75 * N - 0.25 * pairs * z) / pairs
        return np.array([2 * (p @ m) / N, 0, 0, pm, z, 0, 0, 0, 0])

    @staticmethod
    def storage(y0, tlist, gamma):
        r"""Closed-form solution of the moment equations at Γ = 0 (individual emission only).

        With :math:`a = 1 + s_z(0)`: :math:`s_z = -1 + a e^{-\gamma t}`,
        :math:`s_\pm \propto e^{-\gamma t/2}`, :math:`p, u \propto e^{-\gamma t}`,
        :math:`z = 1 + (z_0 - 1 + 2a)e^{-2\gamma t} - 2a e^{-\gamma t}` and
        :math:`q = (q_0 + s_+(0))e^{-3\gamma t/2} - s_+(0)e^{-\gamma t/2}`: the equations of
        :meth:`rhs` without Γ are linear and closed (no three-spin terms).

        Parameters
        ----------
        y0 : array_like, shape (9,)
        tlist : array_like, shape (n,)
        gamma : float

        Returns
        -------
        ndarray, shape (n, 9)
        """
        sz, sx, sy, p, z, qr, qi, ur, ui = np.asarray(y0, float)
        t = np.asarray(tlist, float) - tlist[0]
        e1, eh, e2, e3 = (np.exp(-f * gamma * t) for f in (1.0, 0.5, 2.0, 1.5))
        a, s0, q0 = 1 + sz, 0.5 * complex(sx, sy), complex(qr, qi)
        q = (q0 + s0) * e3 - s0 * eh
        return np.column_stack(
            [
                -1 + a * e1,
                sx * eh,
                sy * eh,
                p * e1,
                1 + (z - 1 + 2 * a) * e2 - 2 * a * e1,
                q.real,
                q.imag,
                ur * e1,
                ui * e1,
            ]
        )

    def evolve(self, y0, tlist, gamma, Gamma, *, rtol=1e-10, atol=1e-12):
        r"""Integrate the cumulant equations at constant rates (LSODA, stiff-aware).

        At Γ = 0 the closed form of :meth:`storage` is used.

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
        qbkit.dicke.EnsembleEvolution
            ``states`` are the moments, shape (n, 9) (the first row is ``y0``);
            ``emitted`` is the integral of :meth:`collective_emission_rate`.

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
        if Gamma == 0:
            y = self.storage(y0, t, gamma)
            return EnsembleEvolution(t, y, self.Jz(y), self.J2(y), np.zeros(t.size))
        if t.size == 1:
            y = y0[None, :].copy()
            return EnsembleEvolution(t, y, self.Jz(y), self.J2(y), np.zeros(1))

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
        y = sol.y[:9].T
        return EnsembleEvolution(t, y, self.Jz(y), self.J2(y), sol.y[9])


# -- the two-emitter reference: exact master equation on the full Hilbert space -----------------
def two_emitter_state(theta, phi):
    r"""A permutation-symmetric mixed state of two emitters with all nine moments non-zero.

    Each emitter is rotated from :math:`|g\rangle` by ``theta`` about x, the second then
    by :math:`e^{-i\phi\sigma^z}`; the pure state is mixed half-and-half with the product
    of its one-emitter marginals and then symmetrized under the swap of the two emitters.

    Returns
    -------
    qutip.Qobj
        Density matrix, dims [[2, 2], [2, 2]] (qutip's basis: index 0 is :math:`|e\rangle`).
    """
    one = (-0.5j * theta * qutip.sigmax()).expm() * qutip.basis(2, 1)
    psi = qutip.tensor(one, (-1j * phi * qutip.sigmaz()).expm() * one)
    rho = 0.5 * (psi.proj() + qutip.tensor(psi.ptrace(1), psi.ptrace(0)))
    swap = qutip.Qobj(np.eye(4)[[0, 2, 1, 3]], dims=[[2, 2], [2, 2]])
    return 0.5 * (rho + swap * rho * swap)


def _site(op, k, N):
    return qutip.tensor([op if i == k else qutip.qeye(2) for i in range(N)])


def moments_of(rho):
    r"""The nine moments (order of :data:`MOMENTS`) of a permutation-symmetric N-emitter state.

    Parameters
    ----------
    rho : qutip.Qobj
        Density matrix of N >= 2 two-level emitters (dims [[2]*N, [2]*N]); the moments
        are taken on emitters 0 and 1.

    Returns
    -------
    ndarray, shape (9,)
    """
    N = len(rho.dims[0])
    sp0, sm1 = _site(qutip.sigmap(), 0, N), _site(qutip.sigmam(), 1, N)
    sz0, sz1, sp1 = _site(qutip.sigmaz(), 0, N), _site(qutip.sigmaz(), 1, N), sm1.dag()
    ops = [sz0, sp0 + sp0.dag(), 1j * (sp0.dag() - sp0), sp0 * sm1, sz0 * sz1, sp0 * sz1, sp0 * sp1]
    v = [complex(qutip.expect(o, rho)) for o in ops]
    return np.array([*(x.real for x in v[:5]), v[5].real, v[5].imag, v[6].real, v[6].imag])


def mesolve_moments(rho0, tlist, gamma, Gamma, *, options=None):
    r"""The nine moments under Eq. (5) solved exactly on the full :math:`2^N` space (small N).

    :math:`\dot\rho = \gamma\sum_i\mathcal D[\sigma_i^-]\rho
    + \Gamma\mathcal D[\sum_i\sigma_i^-]\rho`
    with :func:`qutip.mesolve`.

    Parameters
    ----------
    rho0 : qutip.Qobj
        Permutation-symmetric density matrix of N emitters.
    tlist : array_like, shape (n,)
    gamma, Gamma : float
        Individual and collective emission rates, >= 0.
    options : dict, optional
        Passed to ``mesolve`` (default: atol 1e-13, rtol 1e-11).

    Returns
    -------
    ndarray, shape (n, 9)
    """
    check_rates(gamma=gamma, Gamma=Gamma)
    t = check_tlist(tlist)
    N = len(rho0.dims[0])
    sm = [_site(qutip.sigmam(), k, N) for k in range(N)]
    c_ops = [np.sqrt(gamma) * s for s in sm] + [np.sqrt(Gamma) * sum(sm)]
    opts = {"atol": 1e-13, "rtol": 1e-11} if options is None else options
    states = qutip.mesolve(qutip.qzero(rho0.dims[0]), rho0, t, c_ops, options=opts).states
    return np.array([moments_of(s) for s in states])

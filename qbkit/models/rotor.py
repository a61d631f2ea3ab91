r"""Two qubits and a quantum rotor between two heat baths, with a dissipative load (Leitch et al.).

Equation numbers refer to H. Leitch, K. Hammam and G. De Chiara, *Thermodynamics of hybrid
quantum rotor devices*, arXiv:2304.08122 (version dated 14 February 2024). Units:
:math:`\hbar = k_B = 1`; energies in the unit of the fields :math:`B_i`, times in its inverse.

System, Eqs. (1)-(3): :math:`H_S = B_1\sigma_1^z + B_2\sigma_2^z + L_z^2/2I
+ \lambda(\sigma_1^+\sigma_2^- e^{i\varphi} + \mathrm{h.c.})` on qubit 1 ⊗ qubit 2 ⊗ rotor, the
rotor truncated to
:math:`|l\rangle`, :math:`l = l_{min}..l_{max}`, with :math:`e^{i\varphi}|l\rangle = |l+1\rangle`.
Qubit i has level splitting :math:`2B_i`; qubit 1 touches the cold bath (β₁), qubit 2 the hot one
(β₂), and the load (γ, β_r) brakes the rotor, Eq. (17).

Shape of the model (QuTiP 5 style): the device is built from one frozen
:class:`RotorParameters`; the reservoirs are one frozen :class:`Baths`; the solvers take
``(device, baths)`` (:func:`steady_state`, :func:`sweep`) or ``(device, state0, tlist, baths)``
(:func:`evolve`) with the master equation as a keyword-only option and return frozen result
dataclasses with named fields.

Master equations (option ``equation``):

``"local"``
    Eqs. (13)-(17): local qubit dissipators with rates :math:`g_i^2(n_i+1)`, :math:`g_i^2n_i`.
``"local-ohmic"``
    The same local dissipators with the spin-boson bath's rates at the bare qubit frequencies,
    :math:`g_i^2 \to J_i(2B_i)` of (A16)-(A17).
``"global"``
    Eqs. (27), (A15)-(A17): secular Born-Markov equation in the eigenbasis of :math:`H_S`, the
    load kept local.
``"redfield"``
    The same Born-Markov equation without the secular approximation (Bloch-Redfield), for the
    paper's excitation-conserving coupling (A4); like QuTiP's ``brmesolve`` it keeps only the
    real part of the one-sided bath transform (no Lamb shift).

Numerics. The coupling moves one excitation from qubit 2 to qubit 1 and one quantum of angular
momentum into the rotor, so :math:`n_1 + n_2` and :math:`l + n_2` are conserved by :math:`H_S`;
the qubit dissipators (local, global and Redfield, all built from :math:`\sigma_i^\mp`) change them
by definite amounts, and the load's two jump operators only rotate into each other under
:math:`\varphi\to\varphi+\theta`. Both charges are therefore weak symmetries of every master
equation here, and steady states and the evolutions we start from a charge-diagonal state live
in the sector where ket and bra carry equal charges (:class:`qbkit.sectors.Sector`): 1-by-1
and 2-by-2 blocks, about 6(2L+1) numbers instead of :math:`16(2L+1)^2`. Everything that depends
only on the rotor window (the sector and the sector matrices of the qubit dissipators and of the
load, as a polynomial in :math:`\beta_r/4I`) is built once per window and shared by every device.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, fields, replace
from functools import lru_cache

import numpy as np
import qutip
import scipy.linalg
import scipy.sparse as sp

from .._checks import check_choice, check_count, check_positive, check_rates, check_tlist
from ..ergotropy import ergotropy_from_populations, passive_energy_from_spectrum
from ..sectors import LinearFamily, Sector
from ..thermo import bose_occupation, gibbs_populations

__all__ = [
    "EQUATIONS",
    "CONTINUATIONS",
    "RotorParameters",
    "Baths",
    "RotorDevice",
    "Liouvillian",
    "SteadyState",
    "Sweep",
    "Evolution",
    "rotor_operators",
    "thermal_occupation",
    "ohmic_spectral_density",
    "bath_rates",
    "load_rates",
    "load_exponent_error",
    "rotor_gibbs",
    "steady_state",
    "sweep",
    "ratio_sweep",
    "evolve",
]

EQUATIONS = ("local", "local-ohmic", "global", "redfield")
CONTINUATIONS = ("detailed-balance", "zero")


# --- parameters ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RotorParameters:
    r"""The device of Eqs. (1)-(3) and its truncation.

    Attributes
    ----------
    B1, B2 : float
        Fields of qubits 1 and 2 (splittings 2B₁, 2B₂), > 0.
    I : float
        Moment of inertia, > 0 (in units of 1/energy).
    lam : float
        Coupling λ of Eq. (3), >= 0.
    l_max : int
        Largest rotor level kept, >= 1.
    l_min : int or None
        Smallest rotor level kept, < l_max; default ``-l_max`` (a symmetric window).

    Raises
    ------
    ValueError, TypeError
        Naming the bad field.
    """

    B1: float = 4.0
    B2: float = 10.0
    I: float = 1.0
    lam: float = 0.1
    l_max: int = 40
    l_min: int | None = None

    def __post_init__(self):
        check_positive(B1=self.B1, B2=self.B2, I=self.I)
        check_rates(lam=self.lam)
        check_count("l_max", self.l_max, 1)
        if self.l_min is not None:
            check_count("l_min", self.l_min, -(10**6))
            if not self.l_min < self.l_max:
                raise ValueError(f"l_min must be < l_max, got {self.l_min} >= {self.l_max}")

    @property
    def window(self):
        """``(l_min, l_max)`` with the default filled in."""
        return (-self.l_max if self.l_min is None else int(self.l_min), int(self.l_max))

    @property
    def levels(self):
        """The rotor levels kept, shape (d,)."""
        lo, hi = self.window
        return np.arange(lo, hi + 1, dtype=float)


@dataclass(frozen=True)
class Baths:
    r"""The two qubit baths and the rotor's load.

    Attributes
    ----------
    beta1, beta2 : float
        Inverse temperatures of the baths of qubit 1 (cold) and qubit 2 (hot), > 0.
    beta_r : float
        Inverse temperature of the load, Eq. (17), > 0.
    g, chi : float
        Couplings :math:`g_1 = g(1-\chi)`, :math:`g_2 = g(1+\chi)`, Eq. (15); g >= 0, |chi| <= 1.
    gamma : float
        Load rate γ of Eq. (17), >= 0.
    cutoff : float
        Ω of the Ohmic spectral densities (A16)-(A17), > 0 (global, Redfield, local-ohmic).
    continuation : {"detailed-balance", "zero"}
        Rates of transitions of :math:`\sigma_i^-` whose Bohr frequency is :math:`\le 0`
        (the rotor gains more than the qubit gives), see :func:`bath_rates`.
    """

    beta1: float = 0.1
    beta2: float = 0.02
    beta_r: float = 0.09
    g: float = 1.0
    chi: float = 0.0
    gamma: float = 5e-5
    cutoff: float = 20.0
    continuation: str = "detailed-balance"

    def __post_init__(self):
        check_positive(beta1=self.beta1, beta2=self.beta2, beta_r=self.beta_r, cutoff=self.cutoff)
        check_rates(g=self.g, gamma=self.gamma)
        if not abs(self.chi) <= 1:
            raise ValueError(f"chi must lie in [-1, 1], got {self.chi!r}")
        check_choice("continuation", self.continuation, CONTINUATIONS)

    @property
    def g1(self):
        return self.g * (1 - self.chi)

    @property
    def g2(self):
        return self.g * (1 + self.chi)

    def swapped(self):
        """The same baths with the two qubit temperatures exchanged (Sec. III C)."""
        return replace(self, beta1=self.beta2, beta2=self.beta1)

    def at_ratio(self, ratio):
        r"""The same baths with :math:`\beta_2 = \text{ratio}\cdot\beta_1` (Figs. 2-3)."""
        return replace(self, beta2=float(ratio) * self.beta1)


# --- single-particle pieces ----------------------------------------------------------------------


def rotor_operators(l_max, l_min=None):
    r"""Operators of a rotor truncated to :math:`l = l_{min}..l_{max}` (default :math:`-l_{max}..`).

    Parameters
    ----------
    l_max : int
        Largest level, >= 1.
    l_min : int, optional
        Smallest level, < l_max.

    Returns
    -------
    dict
        ``Lz`` (:math:`L_z|l\rangle = l|l\rangle`), ``exp_iphi``
        (:math:`|l+1\rangle\langle l|`, zero on the top level), ``cos_phi`` and ``sin_phi``
        (:math:`(e^{i\varphi}\pm e^{-i\varphi})/2` and :math:`/2i`), as ``qutip.Qobj``, and
        ``l``, the levels, shape (d,). With the truncation
        :math:`[e^{i\varphi}, L_z] = -e^{i\varphi}` (below Eq. (3)) holds exactly.

    Raises
    ------
    ValueError, TypeError
        If l_max is not an integer >= 1 or l_min is not an integer below it.
    """
    l = RotorParameters(l_max=l_max, l_min=l_min).levels
    d = l.size
    up = qutip.Qobj(sp.diags(np.ones(d - 1), -1, format="csr"))  # <l+1| e^{i phi} |l> = 1
    return {
        "Lz": qutip.Qobj(sp.diags(l, format="csr")),
        "exp_iphi": up,
        "cos_phi": (up + up.dag()) / 2,
        "sin_phi": (up - up.dag()) / 2j,
        "l": l,
    }


def thermal_occupation(beta, omega):
    r"""Bose occupation :math:`n = 1/(e^{\beta\omega} - 1)`, Eqs. (16) and (A12).

    Parameters
    ----------
    beta : float
        Inverse temperature, > 0.
    omega : float or array_like
        Transition energies, > 0 (for a qubit of field B, :math:`\omega = 2B`).

    Returns
    -------
    float or ndarray, the shape of ``omega``

    Raises
    ------
    ValueError
        If beta or any omega is not positive.
    """
    check_positive(beta=beta)
    w = np.asarray(omega, dtype=float)
    if not np.all(w > 0):
        raise ValueError(f"omega must be > 0, got {omega}")
    if w.ndim == 0:
        return bose_occupation(1.0 / beta, float(w))
    return 1.0 / np.expm1(beta * w)


def ohmic_spectral_density(omega, g, cutoff):
    r"""Ohmic spectral density with a Lorentz-Drude cutoff, Eqs. (A16)-(A17).

    :math:`J(\omega) = g^2\,\omega\,\Omega^2/(\omega^2 + \Omega^2)`; pass :math:`g = g(1\mp\chi)`.

    Parameters
    ----------
    omega : float or array_like
        Frequencies (energy units).
    g : float
        Coupling, :math:`\sqrt{\text{energy}}`.
    cutoff : float
        Ω, > 0.

    Returns
    -------
    float or ndarray, the shape of ``omega``
    """
    w = np.asarray(omega, dtype=float)
    out = g**2 * w * cutoff**2 / (w**2 + cutoff**2)
    return float(out) if out.ndim == 0 else out


def bath_rates(nu, beta, g, cutoff, continuation="detailed-balance"):
    r"""Rates of :math:`\mathcal D[A(\nu)]` and :math:`\mathcal D[A^\dagger(\nu)]` in (A15).

    ``nu`` is the energy the system releases in the transition of :math:`A = \sigma_i^-`
    (:math:`\nu = \epsilon' - \epsilon` of Eq. (A5)). For :math:`\nu > 0`: down
    :math:`J(\nu)(n(\nu)+1)`, up :math:`J(\nu)n(\nu)`. A few weak transitions of
    :math:`\sigma_1^-` near the rotor's resonance have :math:`\nu < 0` (the rotor gains more than
    the qubit gives); (A15) with a bath of positive frequencies only gives them no rate
    (``continuation="zero"``). ``"detailed-balance"`` continues :math:`J` as an odd function,
    down :math:`J(|\nu|)n(|\nu|)`, up :math:`J(|\nu|)(n(|\nu|)+1)` (the rates a Hermitian coupling
    :math:`\sigma^x` would give; down/up stays :math:`e^{\beta\nu}`), and :math:`\nu = 0` by its
    limit :math:`g^2/\beta`.

    Parameters
    ----------
    nu : float or array_like
        Bohr frequencies.
    beta, g, cutoff : float
        Inverse temperature, coupling and Ω of the bath.
    continuation : {"detailed-balance", "zero"}

    Returns
    -------
    (down, up) : two arrays of the shape of ``nu``
    """
    check_choice("continuation", continuation, CONTINUATIONS)
    nu = np.asarray(nu, dtype=float)
    w = np.abs(nu)
    small = w < 1e-12
    ws = np.where(small, 1.0, w)
    J = ohmic_spectral_density(ws, g, cutoff)
    n = 1.0 / np.expm1(beta * ws)
    emit, absorb = np.where(small, g**2 / beta, J * (n + 1)), np.where(small, g**2 / beta, J * n)
    positive = (nu > 0) & ~small
    down = np.where(positive, emit, absorb)
    up = np.where(positive, absorb, emit)
    if continuation == "zero":
        down, up = np.where(positive, down, 0.0), np.where(positive, up, 0.0)
    return down, up


def load_rates(l, I, beta_r, gamma):
    r"""Rates of :math:`l\to l+1` and :math:`l\to l-1` under the load, Eq. (17).

    With :math:`c = \beta_r/4I` the two jump operators take :math:`|l\rangle` to
    :math:`\tfrac12(1\mp cl)|l\pm1\rangle` (up to phases), so the rates are
    :math:`(I\gamma/\beta_r)(1 - cl)^2` up and :math:`(I\gamma/\beta_r)(1 + cl)^2` down. The up-rate
    vanishes at :math:`l = 4I/\beta_r` and grows again beyond: the load model holds for
    :math:`\beta_r|l|/4I \ll 1`.

    Returns
    -------
    (up, down) : arrays of the shape of ``l``
    """
    l = np.asarray(l, dtype=float)
    c = beta_r / (4 * I)
    k = I * gamma / beta_r
    return k * (1 - c * l) ** 2, k * (1 + c * l) ** 2


def load_exponent_error(l, I, beta_r):
    r"""Relative error of the load's detailed balance between :math:`l` and :math:`l+1`.

    The Gibbs state at :math:`\beta_r` needs :math:`\ln(\Gamma_{l\to l+1}/\Gamma_{l+1\to l}) =
    -\beta_r(2l+1)/2I`; Eq. (17) gives :math:`2\ln[(1-cl)/(1+c(l+1))]`, :math:`c = \beta_r/4I`.
    Returns the ratio of the two minus one (0 to first order in c; NaN where the up-rate
    vanishes), shape of ``l``.
    """
    l = np.asarray(l, dtype=float)
    c = beta_r / (4 * I)
    with np.errstate(divide="ignore", invalid="ignore"):
        exact = 2 * np.log(np.abs(1 - c * l) / (1 + c * (l + 1)))
        out = exact / (-beta_r * (2 * l + 1) / (2 * I)) - 1
    return np.where(np.isfinite(out), out, np.nan)


def rotor_gibbs(l, I, beta_r):
    r"""Gibbs populations :math:`\propto e^{-\beta_r l^2/2I}` of the rotor levels ``l``, via
    :func:`qbkit.thermo.gibbs_populations` (energies in the energy unit, whose thermal
    occupation at temperature :math:`1/\beta_r` is :math:`1/(e^{\beta_r}-1)`)."""
    E = np.asarray(l, dtype=float) ** 2 / (2 * I)
    return gibbs_populations(E, bose_occupation(1.0 / beta_r, 1.0))


# --- what depends only on the rotor window ------------------------------------------------------


class _Window:
    """Operators, the sector and the sector matrices of every piece of the model, for one window."""

    def __init__(self, l_min, l_max):
        rot = rotor_operators(l_max, l_min)
        self.l = rot["l"]
        d = self.l.size
        one2, oner = qutip.qeye(2), qutip.qeye(d)
        self.q1 = lambda op: qutip.tensor(op, one2, oner)
        self.q2 = lambda op: qutip.tensor(one2, op, oner)
        r = lambda op: qutip.tensor(one2, one2, op)  # noqa: E731
        self.sm1, self.sm2 = self.q1(qutip.sigmam()), self.q2(qutip.sigmam())  # sigma^- = |g><e|
        self.sz1, self.sz2 = self.q1(qutip.sigmaz()), self.q2(qutip.sigmaz())
        self.Lz, self.exp_iphi = r(rot["Lz"]), r(rot["exp_iphi"])
        self.cos_phi, self.sin_phi = r(rot["cos_phi"]), r(rot["sin_phi"])
        self.Lz2 = self.Lz**2
        self.HI0 = (
            self.sm1.dag() * self.sm2 * self.exp_iphi
            + self.sm1 * self.sm2.dag() * self.exp_iphi.dag()
        )
        n1 = np.real((self.sm1.dag() * self.sm1).diag())
        n2 = np.real((self.sm2.dag() * self.sm2).diag())
        lz = np.real(self.Lz.diag())
        sec = self.sector = Sector(np.column_stack([n1 + n2, lz + n2]).round().astype(int))
        self.D = {
            "1+": sec.dissipator(self.sm1.dag()),
            "1-": sec.dissipator(self.sm1),
            "2+": sec.dissipator(self.sm2.dag()),
            "2-": sec.dissipator(self.sm2),
        }
        self.w = {k: sec.functional(getattr(self, k)) for k in ("Lz", "Lz2")}
        # the load (17): jump operators C0 + c C1 and S0 + c S1, c = beta_r/4I; D is quadratic in c
        C0, S0 = self.cos_phi, self.sin_phi
        C1, S1 = -1j * self.sin_phi * self.Lz, 1j * self.cos_phi * self.Lz
        one = qutip.qeye(self.Lz.dims[0])
        K = C0.dag() * C1 + C1.dag() * C0 + S0.dag() * S1 + S1.dag() * S0
        cross = [(1.0, C0, C1.dag()), (1.0, C1, C0.dag()), (1.0, S0, S1.dag())]
        cross += [(1.0, S1, S0.dag()), (-0.5, K, one), (-0.5, one, K)]
        self.load = (sec.dissipator(C0, S0), sec.superoperator(cross), sec.dissipator(C1, S1))
        self.load_ops = (C0, C1, S0, S1)


@lru_cache(maxsize=6)
def _window(l_min, l_max):
    return _Window(l_min, l_max)


# --- the device ----------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Liouvillian:
    r"""A sector Liouvillian and its parts.

    Attributes
    ----------
    L : scipy.sparse.csr_matrix, shape (m, m)
        :math:`-i[H_S,\cdot] + \mathcal L_1 + \mathcal L_2 + \mathcal L_r`.
    LH, L1, L2, Lr : scipy.sparse matrices, shape (m, m)
        The Hamiltonian part and the dissipators of bath 1, bath 2 and the load.
    equation : str
        One of :data:`EQUATIONS`.
    """

    L: object
    LH: object
    L1: object
    L2: object
    Lr: object
    equation: str


class RotorDevice:
    r"""The two-qubit rotor device of Eqs. (1)-(3) and its master equations.

    Parameters
    ----------
    params : RotorParameters

    Attributes
    ----------
    params : RotorParameters
    l : ndarray, shape (d,)
        Rotor levels kept.
    H0, HI, H : qutip.Qobj
        :math:`H_{S,0}` (2), :math:`H_{S,I}` (3) and :math:`H_S`, on qubit 1 ⊗ qubit 2 ⊗ rotor.
    sm1, sm2, Lz, exp_iphi : qutip.Qobj
        :math:`\sigma_1^-`, :math:`\sigma_2^-`, :math:`L_z`, :math:`e^{i\varphi}` on the full space.
    sector : qbkit.sectors.Sector
        Equal charges :math:`(n_1 + n_2, l + n_2)` on ket and bra.

    Raises
    ------
    TypeError
        If params is not a RotorParameters.
    """

    def __init__(self, params):
        if not isinstance(params, RotorParameters):
            raise TypeError(f"params must be a RotorParameters, got {type(params).__name__}")
        self.params = p = params
        win = self._win = _window(*p.window)
        self.l, self.sector = win.l, win.sector
        self.sm1, self.sm2, self.Lz, self.exp_iphi = win.sm1, win.sm2, win.Lz, win.exp_iphi
        self.H0 = p.B1 * win.sz1 + p.B2 * win.sz2 + win.Lz2 / (2 * p.I)
        self.HI = p.lam * win.HI0
        self.H = self.H0 + self.HI
        sec = self.sector  # built from H itself, so that Tr[H (-i[H, rho])] cancels exactly
        self._LH = sec.hamiltonian(self.H)
        self._w = {k: sec.functional(getattr(self, k)) for k in ("H", "H0", "HI")}
        self._w |= {"Lz": win.w["Lz"], "Lz2": win.w["Lz2"]}
        self._eig = None
        self._cache = {}

    def __repr__(self):
        return f"RotorDevice({self.params!r})"

    # --- dissipators ---------------------------------------------------------------------------

    def load_operators(self, beta_r):
        r"""The two jump operators of Eq. (17) without the rate :math:`2I\gamma/\beta_r`:

        :math:`\cos\varphi - i\beta_r\sin\varphi L_z/4I` and
        :math:`\sin\varphi + i\beta_r\cos\varphi L_z/4I`.
        """
        C0, C1, S0, S1 = self._win.load_ops
        c = beta_r / (4 * self.params.I)
        return C0 + c * C1, S0 + c * S1

    def collapse_operators(self, baths):
        r"""Jump operators of the local equation (14)-(17) on the full space, for QuTiP's solvers.

        :math:`g_i\sqrt{n_i}\sigma_i^+`, :math:`g_i\sqrt{n_i+1}\sigma_i^-` (i = 1, 2) and the two
        load operators times :math:`\sqrt{2I\gamma/\beta_r}`, in that order; a zero coupling or
        gamma leaves its operators out.

        Returns
        -------
        list of qutip.Qobj
        """
        p, ops = self.params, []
        for beta, B, gi, sm in (
            (baths.beta1, p.B1, baths.g1, self.sm1),
            (baths.beta2, p.B2, baths.g2, self.sm2),
        ):
            if gi != 0:
                n = thermal_occupation(beta, 2 * B)
                ops += [gi * np.sqrt(n) * sm.dag(), gi * np.sqrt(n + 1) * sm]
        if baths.gamma > 0:
            k = np.sqrt(2 * p.I * baths.gamma / baths.beta_r)
            ops += [k * op for op in self.load_operators(baths.beta_r)]
        return ops

    def eigen(self):
        r"""Eigenvalues and eigenvectors of :math:`H_S`, block by block (definite charges).

        Returns
        -------
        (E, V) : ndarray, shape (N,), and scipy.sparse.csc_matrix, shape (N, N)
            :math:`H_S = V\,\mathrm{diag}(E)\,V^\dagger`; V is block diagonal (blocks of 1 or 2).
        """
        if self._eig is None:
            N = self.sector.N
            Hd = self.H.full()
            V = np.zeros((N, N), dtype=complex)
            E = np.zeros(N)
            for block in self.sector.blocks:
                e, v = np.linalg.eigh(Hd[np.ix_(block, block)])
                E[block] = e
                V[np.ix_(block, block)] = v
            self._eig = (E, sp.csc_matrix(V))
        return self._eig

    def transitions(self, i):
        r"""Matrix elements of :math:`\sigma_i^-` between eigenstates of :math:`H_S`, Eq. (A5).

        Returns
        -------
        (a, b, nu, amp) : arrays, shape (n,)
            :math:`\langle\epsilon_a|\sigma_i^-|\epsilon_b\rangle = ` amp, with Bohr frequency
            :math:`\nu = \epsilon_b - \epsilon_a` (the energy released), sorted by nu. Near the
            rotor's resonance a few weak transitions of :math:`\sigma_1^-` have nu < 0.
        """
        key = ("transitions", i)
        if key not in self._cache:
            E, V = self.eigen()
            sm = (self.sm1 if i == 1 else self.sm2).data_as("csr_matrix")
            At = (V.conj().T @ sm @ V).tocoo()
            keep = np.abs(At.data) > 1e-12
            a, b, amp = At.row[keep], At.col[keep], At.data[keep]
            nu = E[b] - E[a]
            order = np.argsort(nu, kind="stable")
            self._cache[key] = (a[order], b[order], nu[order], amp[order])
        return self._cache[key]

    def _global_family(self, i, tol=1e-9):
        r"""D[A_i(ω)] and D[A_i(ω)†] of every Bohr frequency ω (transitions closer than tol in
        one A(ω)), as one weighted family, and the frequencies."""
        key = ("global", i)
        if key not in self._cache:
            a, b, nu, amp = self.transitions(i)
            _, V = self.eigen()
            groups = np.split(np.arange(nu.size), np.flatnonzero(np.diff(nu) > tol) + 1)
            mats, omegas = [], []
            for grp in groups:
                # A(w) = sum over its transitions of amp |e_a><e_b|, back in the product basis
                A_w = V[:, a[grp]] @ sp.diags(amp[grp]) @ V[:, b[grp]].conj().T
                mats += [self.sector.dissipator(A_w), self.sector.dissipator(A_w.conj().T)]
                omegas.append(float(nu[grp].mean()))
            self._cache[key] = (LinearFamily(mats), np.array(omegas))
        return self._cache[key]

    def _redfield(self, i, beta, cutoff, continuation):
        r"""Sector matrix of the Redfield dissipator of bath i at unit coupling (g_i = 1).

        With :math:`A = \sigma_i^-` and, in the eigenbasis,
        :math:`\tilde A_{ab} = \tfrac12 S_\downarrow(\nu_{ab})A_{ab}`,
        :math:`\tilde B_{ab} = \tfrac12 S_\uparrow(\nu_{ba})\overline{A_{ba}}` (the rates of
        :func:`bath_rates`), the Born-Markov equation for the coupling
        :math:`A\otimes E^\dagger + A^\dagger\otimes E` of (A4) reads

        .. math:: \dot\rho = \tilde A\rho A^\dagger - A^\dagger\tilde A\rho
                  + \tilde B\rho A - A\tilde B\rho + \mathrm{h.c.}

        (real part of the one-sided transform only). Keeping only :math:`\nu = \nu'` terms
        gives back (A15).
        """
        key = ("redfield", i, beta, cutoff, continuation)
        if key not in self._cache:
            a, b, nu, amp = self.transitions(i)
            _, V = self.eigen()
            N = self.sector.N
            down, up = bath_rates(nu, beta, 1.0, cutoff, continuation)
            eig = lambda v: sp.csr_matrix((v, (a, b)), shape=(N, N))  # noqa: E731
            A = V @ eig(amp) @ V.conj().T
            At = V @ eig(0.5 * down * amp) @ V.conj().T
            Bt = (V @ eig(0.5 * up * np.conj(amp)) @ V.conj().T).T  # (B~)_ab = up_ba conj(A_ba)/2
            Ad = A.conj().T
            one = sp.identity(N, format="csr")
            terms = [(1.0, At, Ad), (-1.0, Ad @ At, one), (1.0, Bt, A), (-1.0, A @ Bt, one)]
            terms += [(1.0, A, At.conj().T), (-1.0, one, At.conj().T @ A)]
            terms += [(1.0, Ad, Bt.conj().T), (-1.0, one, Bt.conj().T @ Ad)]
            self._cache[key] = self.sector.superoperator(terms)
        return self._cache[key]

    def _bath_part(self, i, baths, equation):
        """Sector matrix of the dissipator of qubit bath i (1 or 2) under ``equation``."""
        p = self.params
        beta, B, gi = (baths.beta1, p.B1, baths.g1) if i == 1 else (baths.beta2, p.B2, baths.g2)
        win = self._win
        if equation in ("local", "local-ohmic"):
            n = thermal_occupation(beta, 2 * B)
            rate = gi**2
            if equation == "local-ohmic":
                rate = ohmic_spectral_density(2 * B, gi, baths.cutoff)
            return rate * (n * win.D[f"{i}+"] + (n + 1) * win.D[f"{i}-"])
        if equation == "global":
            family, omegas = self._global_family(i)
            down, up = bath_rates(omegas, beta, gi, baths.cutoff, baths.continuation)
            return family(np.column_stack([down, up]).ravel())
        return gi**2 * self._redfield(i, beta, baths.cutoff, baths.continuation)

    def load_dissipator(self, baths):
        r"""Sector matrix of :math:`\mathcal L_r^{(loc)}`, Eq. (17)."""
        I = self.params.I
        c = baths.beta_r / (4 * I)
        M0, M1, M2 = self._win.load
        return (2 * I * baths.gamma / baths.beta_r) * (M0 + c * M1 + c**2 * M2)

    def liouvillian(self, baths, *, equation="local"):
        r"""The sector Liouvillian of Eq. (13) (local), (27) (global) or its Redfield form.

        Parameters
        ----------
        baths : Baths
        equation : {"local", "local-ohmic", "global", "redfield"}, keyword-only

        Returns
        -------
        Liouvillian

        Raises
        ------
        TypeError, ValueError
            If baths is not a Baths or equation is unknown.
        """
        if not isinstance(baths, Baths):
            raise TypeError(f"baths must be a Baths, got {type(baths).__name__}")
        check_choice("equation", equation, EQUATIONS)
        L1, L2 = self._bath_part(1, baths, equation), self._bath_part(2, baths, equation)
        Lr = self.load_dissipator(baths)
        return Liouvillian(self._LH + L1 + L2 + Lr, self._LH, L1, L2, Lr, equation)

    def bloch_redfield(self, baths, *, secular=True):
        r"""The same master equation from QuTiP on the full space (for cross-checks).

        QuTiP's ``brcrossterm`` for each pair :math:`(\sigma_i^-, \sigma_i^+)` and
        :math:`(\sigma_i^+, \sigma_i^-)` (the excitation-conserving coupling of (A4)), with the
        spectra of :func:`bath_rates`, plus the load as Lindblad operators. ``secular=True``
        (cutoff 1e-6) must equal ``equation="global"``, ``secular=False`` (no cutoff)
        ``equation="redfield"``.

        Returns
        -------
        qutip.Qobj
            Superoperator on the full space (dimension :math:`(4d)^2`).
        """
        from qutip.core.blochredfield import brcrossterm

        cut = 1e-6 if secular else -1
        R = qutip.liouvillian(self.H, self.collapse_operators(replace(baths, g=0.0)))

        def spectrum(beta, gi, k, sign):  # QuTiP calls it with w only (a one-argument function)
            return lambda w: float(bath_rates(sign * w, beta, gi, baths.cutoff, cont)[k])

        cont = baths.continuation
        for sm, beta, gi in ((self.sm1, baths.beta1, baths.g1), (self.sm2, baths.beta2, baths.g2)):
            # brcrossterm(H, X.dag(), X, S) is D[X] with S at the energy X's elements release
            R += brcrossterm(
                self.H, sm.dag(), sm, spectrum(beta, gi, 0, 1), sec_cutoff=cut, fock_basis=True
            )
            R += brcrossterm(
                self.H, sm, sm.dag(), spectrum(beta, gi, 1, -1), sec_cutoff=cut, fock_basis=True
            )
        return R

    # --- states and observables ------------------------------------------------------------------

    def density_matrix(self, x):
        """The full state as a qutip.Qobj with the device's dims, from sector form (m,)."""
        return qutip.Qobj(self.sector.matrix(x), dims=self.H.dims)

    def expect(self, name, x):
        """``Tr[O rho]``, O one of ``"Lz"``, ``"Lz2"``, ``"H"``, ``"H0"``, ``"HI"``; x (..., m)."""
        return np.real(np.asarray(x) @ self._w[name])

    def rotor_populations(self, x):
        r"""Rotor populations :math:`\langle l|\rho_r|l\rangle`, (..., d), of state(s) (..., m)."""
        sec = self.sector
        diag = np.flatnonzero(sec.ket == sec.bra)
        d = self.l.size
        x = np.asarray(x)
        M = sp.csr_matrix((np.ones(diag.size), (diag, sec.ket[diag] % d)), shape=(sec.m, d))
        return np.real(x @ M) if x.ndim == 1 else np.real((M.T @ x.T).T)

    def qubit_populations(self, x):
        r"""Two-qubit populations, shape (..., 4), of sector state(s) (..., m).

        Order :math:`|gg\rangle, |ge\rangle, |eg\rangle, |ee\rangle` (qubit 1 first, e = excited).
        """
        sec = self.sector
        diag = np.flatnonzero(sec.ket == sec.bra)
        d = self.l.size
        M = sp.csr_matrix((np.ones(diag.size), (diag, sec.ket[diag] // d)), shape=(sec.m, 4))
        x = np.asarray(x)
        p = np.real(x @ M) if x.ndim == 1 else np.real((M.T @ x.T).T)
        return p[..., ::-1]  # QuTiP's basis(2, 0) is the excited state (sigma_z = +1)

    def initial_state(self, baths, l0=0):
        r"""Product state: each qubit in its bath's Gibbs state, the rotor in :math:`|l_0\rangle`.

        Returns
        -------
        ndarray, shape (m,)
            Sector form.

        Raises
        ------
        ValueError
            If l0 is outside the window.
        """
        lo, hi = self.params.window
        if not lo <= l0 <= hi:
            raise ValueError(f"l0 must lie in [{lo}, {hi}], got {l0}")
        p = self.params

        def qubit(beta, B):  # levels -B (ground), +B; QuTiP's basis(2, 0) is the excited one
            ground, excited = gibbs_populations([0.0, 1.0], thermal_occupation(beta, 2 * B))
            return qutip.Qobj(np.diag([excited, ground]))

        rotor = qutip.fock_dm(self.l.size, int(l0 - lo))
        rho = qutip.tensor(qubit(baths.beta1, p.B1), qubit(baths.beta2, p.B2), rotor)
        return self.sector.vector(rho)

    def ergotropies(self, x):
        r"""Ergotropy (35) of sector state(s) x for the whole device and its parts.

        Every state of the sector is block diagonal in the charge blocks (1-by-1 and 2-by-2),
        and its reduced states of the two qubits and of the rotor are diagonal, so the
        ergotropies follow from block eigenvalues and populations
        (:func:`qbkit.ergotropy.passive_energy_from_spectrum`, vectorized over states).

        Parameters
        ----------
        x : ndarray, shape (m,) or (n, m)

        Returns
        -------
        dict of float or ndarray, shape () or (n,)
            ``total`` (:math:`H_S`), ``qubits`` (:math:`B_1\sigma_1^z + B_2\sigma_2^z` on the
            two-qubit state), ``rotor`` (:math:`L_z^2/2I`), ``qubit1``, ``qubit2``
            (:math:`B_i\sigma^z`).
        """
        p = self.params
        x = np.asarray(x)
        X = x[None, :] if x.ndim == 1 else x
        pos = self.sector._position
        N = self.sector.N
        eig = []
        for block in self.sector.blocks:
            idx = [[pos[a + N * b] for b in block] for a in block]
            if len(block) == 1:
                eig.append(np.real(X[:, idx[0][0]]))
                continue
            a, d, c = np.real(X[:, idx[0][0]]), np.real(X[:, idx[1][1]]), X[:, idx[0][1]]
            root = np.sqrt(((a - d) / 2) ** 2 + np.abs(c) ** 2)
            eig += [(a + d) / 2 + root, (a + d) / 2 - root]
        E, _ = self.eigen()
        total = self.expect("H", X) - passive_energy_from_spectrum(np.column_stack(eig), E)
        q = self.qubit_populations(X)  # gg, ge, eg, ee
        Eq = np.array([-p.B1 - p.B2, -p.B1 + p.B2, p.B1 - p.B2, p.B1 + p.B2])
        one = lambda pe, B: ergotropy_from_populations(np.column_stack([1 - pe, pe]), [-B, B])  # noqa: E731
        out = {
            "total": total,
            "qubits": ergotropy_from_populations(q, Eq),
            "rotor": ergotropy_from_populations(self.rotor_populations(X), self.l**2 / (2 * p.I)),
            "qubit1": one(q[:, 2] + q[:, 3], p.B1),
            "qubit2": one(q[:, 1] + q[:, 3], p.B2),
        }
        return {k: (float(v[0]) if x.ndim == 1 else v) for k, v in out.items()}


# --- steady states -------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class SteadyState:
    r"""Steady state of the device and its energy flows (positive into the system).

    Attributes
    ----------
    x : ndarray, shape (m,)
        The state in sector form (:meth:`RotorDevice.density_matrix` expands it).
    Q1, Q2 : float
        Heat from the cold and the hot bath: :math:`\mathrm{Tr}[H_{S,0}\mathcal L_i\rho]`,
        Eqs. (18)-(19), for the local equations; :math:`\mathrm{Tr}[H_S\mathcal L_i\rho]`,
        Eq. (29), otherwise.
    Qr : float
        Heat from the load, :math:`\mathrm{Tr}[H_{S,0}\mathcal L_r\rho]`, Eq. (21).
    W_Q : float
        Work of the local qubit baths, :math:`\mathrm{Tr}[H_{S,I}(\mathcal L_1+\mathcal L_2)\rho]`,
        Eq. (24) (zero for the global and Redfield equations).
    W_r : float
        The load's work term :math:`\mathrm{Tr}[H_{S,I}\mathcal L_r\rho]`, Eq. (25).
    dU : float
        :math:`\mathrm{Tr}[H_S\mathcal L\rho]` (zero up to rounding).
    Lz, Lz2 : float
        :math:`\langle L_z\rangle`, :math:`\langle L_z^2\rangle`.
    sigma : float
        Entropy production :math:`-\beta_1\dot Q_1 - \beta_2\dot Q_2 - \beta_r\dot Q_r`.
    equation : str
    baths : Baths
    """

    x: np.ndarray
    Q1: float
    Q2: float
    Qr: float
    W_Q: float
    W_r: float
    dU: float
    Lz: float
    Lz2: float
    sigma: float
    equation: str
    baths: Baths

    @property
    def first_law_residual(self):
        r"""Residual of the first law, Eqs. (26)/(28).

        :math:`|\dot U - (\dot Q_1 + \dot Q_2 + \dot Q_r + \dot W^{(Q)} + \dot W^{(r)})|`.
        """
        return abs(self.dU - (self.Q1 + self.Q2 + self.Qr + self.W_Q + self.W_r))


def _flows(device, liou, x, baths):
    w = device._w
    y1, y2, yr = liou.L1 @ x, liou.L2 @ x, liou.Lr @ x
    local = liou.equation.startswith("local")
    heat = w["H0"] if local else w["H"]  # Eq. (18) for the local equations, (29) otherwise
    Q1, Q2 = float(np.real(heat @ y1)), float(np.real(heat @ y2))
    Qr = float(np.real(w["H0"] @ yr))
    W_Q = float(np.real(w["HI"] @ (y1 + y2))) if local else 0.0
    return SteadyState(
        x=x,
        Q1=Q1,
        Q2=Q2,
        Qr=Qr,
        W_Q=W_Q,
        W_r=float(np.real(w["HI"] @ yr)),
        dU=float(np.real(w["H"] @ (liou.LH @ x + y1 + y2 + yr))),
        Lz=float(np.real(w["Lz"] @ x)),
        Lz2=float(np.real(w["Lz2"] @ x)),
        sigma=-baths.beta1 * Q1 - baths.beta2 * Q2 - baths.beta_r * Qr,
        equation=liou.equation,
        baths=baths,
    )


def steady_state(device, baths, *, equation="local", pivot=None):
    r"""The steady state :math:`\mathcal L\rho = 0` and its energy flows.

    Parameters
    ----------
    device : RotorDevice
    baths : Baths
    equation : {"local", "local-ohmic", "global", "redfield"}, keyword-only
    pivot : int, optional, keyword-only
        Passed to :meth:`qbkit.sectors.Sector.steady_state`.

    Returns
    -------
    SteadyState

    Raises
    ------
    ValueError
        If the steady state is not unique (e.g. γ = 0 lets the rotor run away).
    """
    liou = device.liouvillian(baths, equation=equation)
    x = device.sector.steady_state(liou.L, pivot=pivot)
    return _flows(device, liou, x, baths)


_SCALARS = tuple(f.name for f in fields(SteadyState) if f.name not in ("x", "equation", "baths"))


@dataclass(frozen=True, eq=False)
class Sweep:
    r"""Steady states along a sequence of bath settings.

    ``sw.Q1`` (and every other float field of :class:`SteadyState`, and
    ``first_law_residual``) is an array of shape (n,); ``sw.x`` has shape (n, m); ``sw[k]`` is
    the k-th :class:`SteadyState` and ``sw[a:b:c]`` a Sweep of those points.
    """

    points: tuple

    def __len__(self):
        return len(self.points)

    def __getitem__(self, k):
        return Sweep(self.points[k]) if isinstance(k, slice) else self.points[k]

    def __getattr__(self, name):
        if name in _SCALARS or name == "first_law_residual":
            return np.array([getattr(p, name) for p in self.points])
        if name == "x":
            return np.array([p.x for p in self.points])
        raise AttributeError(name)

    @property
    def engine(self):
        r"""Engine points, Table I: :math:`\dot Q_1 < 0, \dot Q_2 > 0, \dot W^{(Q)} < 0`."""
        return (self.Q1 < 0) & (self.Q2 > 0) & (self.W_Q < 0)

    @property
    def refrigerator(self):
        r"""Refrigerator points: :math:`\dot Q_1 > 0, \dot Q_2 < 0, \dot W^{(Q)} > 0`."""
        return (self.Q1 > 0) & (self.Q2 < 0) & (self.W_Q > 0)

    @property
    def eta(self):
        r"""Efficiency :math:`-\dot W^{(Q)}/\dot Q_2`, Eq. (36), at every point (an engine's)."""
        return -self.W_Q / self.Q2

    @property
    def cop(self):
        r"""COP :math:`\dot Q_1/\dot W^{(Q)}`, Eq. (37), at every point (a refrigerator's)."""
        return self.Q1 / self.W_Q


def sweep(device, baths, *, equation="local"):
    """Steady states for each of a sequence of :class:`Baths` (one device), as a :class:`Sweep`.

    Each solve fixes the largest population of the previous point (see
    :meth:`qbkit.sectors.Sector.steady_state`).
    """
    pops = np.flatnonzero(device.sector.ket == device.sector.bra)
    points, pivot = [], None
    for b in baths:
        s = steady_state(device, b, equation=equation, pivot=pivot)
        pivot = int(pops[np.argmax(np.real(s.x[pops]))])
        points.append(s)
    return Sweep(tuple(points))


def ratio_sweep(device, baths, ratios, *, equation="local"):
    r""":func:`sweep` along :math:`\beta_2 = r\beta_1` for each r in ``ratios`` (Fig. 2's axis)."""
    return sweep(device, [baths.at_ratio(r) for r in ratios], equation=equation)


# --- time evolution ------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Evolution:
    r"""Sampled solution :math:`x(t) = e^{\mathcal Lt}x_0`.

    Attributes
    ----------
    times : ndarray, shape (n_t,)
    states : ndarray, shape (n_t, m)
        Sector form.
    Lz : ndarray, shape (n_t,)
        :math:`\langle L_z\rangle(t)`.
    populations : ndarray, shape (n_t, d)
        Rotor populations :math:`\langle l|\rho_r(t)|l\rangle`.
    kinetic, intrinsic, back_action, net : ndarray, shape (n_t,)
        Rotor powers, Eqs. (30), (32), (33) and (34):
        :math:`\dot W_{kin} = \mathrm{Tr}[\dot\rho L_z^2]/2I = \dot W_{int} + \dot Q_{BA}`,
        :math:`\dot W_{int} = -i\,\mathrm{Tr}[[H_S,\rho]L_z^2]/2I`, :math:`\dot Q_{BA}` the
        dissipators' part, :math:`\dot W_{net} = \langle L_z\rangle\mathrm{Tr}[\dot\rho L_z]/I`.
    trace_drift : float
        Largest deviation of the trace from that of the initial state.
    """

    times: np.ndarray
    states: np.ndarray
    Lz: np.ndarray
    populations: np.ndarray
    kinetic: np.ndarray
    intrinsic: np.ndarray
    back_action: np.ndarray
    net: np.ndarray
    trace_drift: float


def evolve(device, state0, tlist, baths, *, equation="local"):
    r"""Evolve a sector state under the device's master equation, :math:`x(t) = e^{\mathcal Lt}x_0`.

    The sector Liouvillian is diagonalized once (LAPACK ``geev``), so any set of times, from
    the first kicks to :math:`10^6/\gamma`, costs one decomposition. The eigenvalue nearest
    zero is set to exactly zero and positive real parts (rounding) to zero. The eigenvectors
    are ill-conditioned (condition numbers up to about 1e14 here), so every result is
    checked: the trace must stay that of the initial state to 1e-8 (the unit tests also
    compare with ``scipy.linalg.expm``).

    Parameters
    ----------
    device : RotorDevice
    state0 : ndarray, shape (m,), or qutip.Qobj
        Initial state (sector form or a density matrix in the sector).
    tlist : array_like, shape (n_t,)
        Increasing times >= 0 (t = 0 is the initial state).
    baths : Baths
    equation : str, keyword-only

    Returns
    -------
    Evolution

    Raises
    ------
    ValueError
        For negative or unsorted times, or if the trace drifts by more than 1e-8.
    """
    t = check_tlist(tlist)
    if t[0] < 0:
        raise ValueError("tlist must hold times >= 0")
    x0 = device.sector.vector(state0) if hasattr(state0, "full") else np.asarray(state0, complex)
    liou = device.liouvillian(baths, equation=equation)
    lam, V = scipy.linalg.eig(sp.csr_matrix(liou.L).toarray())
    # a trace-preserving generator has an exact zero eigenvalue and none with Re > 0; rounding
    # leaves ~1e-15 there, which would leak trace over times ~1e6
    lam[np.argmin(np.abs(lam))] = 0.0
    lam = np.minimum(lam.real, 0.0) + 1j * lam.imag
    with warnings.catch_warnings():  # V is ill-conditioned by nature; accuracy is checked below
        warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
        c = scipy.linalg.solve(V, x0)
    X = (V @ (np.exp(np.outer(lam, t)) * c[:, None])).T
    sec = device.sector
    drift = float(np.abs(X @ sec._trace - sec.trace(x0)).max())
    if not drift < 1e-8:
        raise ValueError(f"evolution lost accuracy (trace drift {drift:.1e})")
    w, I = device._w, device.params.I
    dX = (liou.L @ X.T).T
    diss = ((liou.L1 + liou.L2 + liou.Lr) @ X.T).T
    Lz = np.real(X @ w["Lz"])
    return Evolution(
        times=t,
        states=X,
        Lz=Lz,
        populations=device.rotor_populations(X),
        kinetic=np.real(dX @ w["Lz2"]) / (2 * I),
        intrinsic=np.real((liou.LH @ X.T).T @ w["Lz2"]) / (2 * I),
        back_action=np.real(diss @ w["Lz2"]) / (2 * I),
        net=Lz * np.real(dX @ w["Lz"]) / I,
        trace_drift=drift,
    )

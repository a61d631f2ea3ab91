r"""Two qubits and a quantum rotor between two heat baths, with a dissipative load (Leitch et al.).

Equation numbers refer to H. Leitch, K. Hammam and G. De Chiara, *Thermodynamics of hybrid
quantum rotor devices* (preprint, dated 14 February 2024). Units: :math:`\hbar = k_B = 1`.

System, Eqs. (1)-(3): :math:`H_S = B_1\sigma_1^z + B_2\sigma_2^z + L_z^2/2I + \lambda(\sigma_1^+\sigma_2^-
e^{i\varphi} + \mathrm{h.c.})` on qubit 1 ⊗ qubit 2 ⊗ rotor, the rotor truncated to
:math:`|l\rangle`, :math:`l = -L_{max}..L_{max}`, with :math:`e^{i\varphi}|l\rangle = |l+1\rangle`.
Qubit i has level splitting :math:`2B_i`; qubit 1 touches the cold bath (β₁), qubit 2 the hot one
(β₂), and the load (γ, β_r) brakes the rotor, Eq. (17).

Numerics. The coupling moves one excitation from qubit 2 to qubit 1 and one quantum of angular
momentum into the rotor, so :math:`n_1 + n_2` and :math:`l + n_2` are conserved by :math:`H_S`;
the qubit dissipators change them by definite amounts, and the load's two jump operators only
rotate into each other under :math:`\varphi\to\varphi+\theta`. Both charges are therefore weak
symmetries of every master equation here (local and global), and steady states and the
evolutions we start from a charge-diagonal state live in the sector where ket and bra carry
equal charges (:class:`qbkit.sectors.Sector`): 1-by-1 and 2-by-2 blocks, about 6(2L+1) numbers
instead of :math:`16(2L+1)^2`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import qutip
import scipy.linalg
import scipy.sparse as sp

from ..ergotropy import ergotropy
from ..sectors import LinearFamily, Sector
from ..thermo import bose_occupation

__all__ = [
    "rotor_operators",
    "RotorDevice",
    "Currents",
    "thermal_occupation",
    "ohmic_spectral_density",
]


def rotor_operators(L_max):
    r"""Operators of a rotor truncated to :math:`l = -L_{max}..L_{max}` (dimension 2L_max + 1).

    Parameters
    ----------
    L_max : int
        Largest :math:`|l|`, >= 1.

    Returns
    -------
    dict of qutip.Qobj
        ``Lz`` (:math:`L_z|l\rangle = l|l\rangle`), ``exp_iphi`` (:math:`|l+1\rangle\langle l|`, zero
        on :math:`l = L_{max}`), ``cos_phi`` and ``sin_phi`` (:math:`(e^{i\varphi}\pm e^{-i\varphi})/2`
        and :math:`/2i`). With the truncation :math:`[e^{i\varphi}, L_z] = -e^{i\varphi}` (below
        Eq. (3)) holds exactly.

    Raises
    ------
    ValueError
        If L_max is not an integer >= 1.
    """
    if int(L_max) != L_max or L_max < 1:
        raise ValueError(f"L_max must be an integer >= 1, got {L_max}")
    L_max = int(L_max)
    d = 2 * L_max + 1
    l = np.arange(-L_max, L_max + 1, dtype=float)
    up = qutip.Qobj(sp.diags(np.ones(d - 1), -1, format="csr"))  # <l+1| e^{i phi} |l> = 1
    return {
        "Lz": qutip.Qobj(sp.diags(l, format="csr")),
        "exp_iphi": up,
        "cos_phi": (up + up.dag()) / 2,
        "sin_phi": (up - up.dag()) / 2j,
        "l": l,
    }


def thermal_occupation(beta, omega):
    r"""Bose occupation :math:`n = 1/(e^{\beta\omega} - 1)`, Eqs. (16) and (A12), via :func:`qbkit.thermo.bose_occupation`.

    Parameters
    ----------
    beta : float
        Inverse temperature, > 0.
    omega : float
        Transition energy, > 0 (for a qubit of field B, :math:`\omega = 2B`).

    Raises
    ------
    ValueError
        If beta or omega is not positive.
    """
    if not beta > 0:
        raise ValueError(f"beta must be > 0, got {beta}")
    return bose_occupation(1.0 / beta, omega)


def ohmic_spectral_density(omega, g, cutoff):
    r"""Ohmic spectral density with a Lorentz-Drude cutoff, Eqs. (A16)-(A17):
    :math:`J(\omega) = g^2\,\omega\,\Omega^2/(\omega^2 + \Omega^2)` (pass :math:`g = g(1\mp\chi)`)."""
    w = np.asarray(omega, dtype=float)
    return g**2 * w * cutoff**2 / (w**2 + cutoff**2)


def _bath_rates(omega, beta, g, cutoff):
    r"""Rates of :math:`\mathcal D[A(\omega)]` and :math:`\mathcal D[A^\dagger(\omega)]` in (A15):
    :math:`J(\omega)(n(\omega)+1)` and :math:`J(\omega)n(\omega)`, continued to omega < 0 with J odd
    (so that they obey detailed balance, ratio :math:`e^{\beta\omega}`), and to omega = 0 by the limit g²/β."""
    w = abs(omega)
    if w < 1e-12:
        return g**2 / beta, g**2 / beta
    J, n = ohmic_spectral_density(w, g, cutoff), thermal_occupation(beta, w)
    return (J * (n + 1), J * n) if omega > 0 else (J * n, J * (n + 1))


@dataclass
class Currents:
    r"""Energy flows into the system (positive = into the system), Eqs. (19)-(25), (29).

    ``Q1``, ``Q2``: heat from the cold and the hot bath; ``Qr``: heat from the load;
    ``W_Q``: work of the local qubit baths, Eq. (24) (zero for the global equation);
    ``W_r``: the load's work term, Eq. (25); ``dU``: :math:`\mathrm{Tr}[H_S\dot\rho]`.
    """

    Q1: float
    Q2: float
    Qr: float
    W_Q: float
    W_r: float
    dU: float

    @property
    def first_law_residual(self):
        """:math:`|\\dot U - (\\dot Q_1 + \\dot Q_2 + \\dot Q_r + \\dot W^{(Q)} + \\dot W^{(r)})|`, Eqs. (26)/(28)."""
        return abs(self.dU - (self.Q1 + self.Q2 + self.Qr + self.W_Q + self.W_r))


class RotorDevice:
    r"""The two-qubit rotor device of Eqs. (1)-(3) and its master equations (13)-(17) and (27).

    Parameters
    ----------
    B1, B2 : float
        Fields of qubits 1 and 2 (splittings 2B₁, 2B₂), > 0.
    I : float
        Moment of inertia, > 0.
    lam : float
        Coupling λ of Eq. (3), >= 0.
    L_max : int
        Rotor truncation, :math:`l = -L_{max}..L_{max}`.

    Attributes
    ----------
    H0, HI, H : qutip.Qobj
        :math:`H_{S,0}` (2), :math:`H_{S,I}` (3) and :math:`H_S`, on qubit 1 ⊗ qubit 2 ⊗ rotor.
    sector : qbkit.sectors.Sector
        Equal charges :math:`(n_1 + n_2, l + n_2)` on ket and bra.
    """

    def __init__(self, B1, B2, I=1.0, lam=0.1, L_max=40):
        for name, value in (("B1", B1), ("B2", B2), ("I", I)):
            if not (np.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be > 0, got {value}")
        if not lam >= 0:
            raise ValueError(f"lam must be >= 0, got {lam}")
        self.B1, self.B2, self.I, self.lam = float(B1), float(B2), float(I), float(lam)
        rot = rotor_operators(L_max)
        self.L_max, self.l = int(L_max), rot["l"]
        q1 = lambda op: qutip.tensor(op, qutip.qeye(2), qutip.qeye(rot["l"].size))
        q2 = lambda op: qutip.tensor(qutip.qeye(2), op, qutip.qeye(rot["l"].size))
        r = lambda op: qutip.tensor(qutip.qeye(2), qutip.qeye(2), op)
        self.sm1, self.sm2 = (
            q1(qutip.sigmam()),
            q2(qutip.sigmam()),
        )  # sigma^- = |g><e|, sigma_z|e> = |e>
        self.Lz, self.exp_iphi = r(rot["Lz"]), r(rot["exp_iphi"])
        self.cos_phi, self.sin_phi = r(rot["cos_phi"]), r(rot["sin_phi"])
        self.H0 = B1 * q1(qutip.sigmaz()) + B2 * q2(qutip.sigmaz()) + self.Lz**2 / (2 * I)
        self.HI = lam * (
            self.sm1.dag() * self.sm2 * self.exp_iphi
            + self.sm1 * self.sm2.dag() * self.exp_iphi.dag()
        )
        self.H = self.H0 + self.HI
        n1 = np.real((self.sm1.dag() * self.sm1).diag())
        n2 = np.real((self.sm2.dag() * self.sm2).diag())
        lz = np.real(self.Lz.diag())
        self.sector = Sector(np.column_stack([n1 + n2, lz + n2]).round().astype(int))
        sec = self.sector
        self._L_H = sec.hamiltonian(self.H)
        self._D = {
            "1+": sec.dissipator(self.sm1.dag()),
            "1-": sec.dissipator(self.sm1),
            "2+": sec.dissipator(self.sm2.dag()),
            "2-": sec.dissipator(self.sm2),
        }
        self._w = {
            "H0": sec.functional(self.H0),
            "HI": sec.functional(self.HI),
            "H": sec.functional(self.H),
            "Lz": sec.functional(self.Lz),
            "Lz2": sec.functional(self.Lz**2),
        }
        self._load_cache = {}
        self._global_cache = None

    # --- dissipators -----------------------------------------------------------------------

    def load_operators(self, beta_r):
        r"""The two jump operators of Eq. (17), :math:`\cos\varphi - i\beta_r\sin\varphi L_z/4I` and
        :math:`\sin\varphi + i\beta_r\cos\varphi L_z/4I` (without the rate :math:`2I\gamma/\beta_r`)."""
        c = beta_r / (4 * self.I)
        return (
            self.cos_phi - 1j * c * self.sin_phi * self.Lz,
            self.sin_phi + 1j * c * self.cos_phi * self.Lz,
        )

    def collapse_operators(self, beta1, beta2, beta_r, g=1.0, chi=0.0, gamma=5e-5):
        r"""Jump operators of the local equation (14)-(17) on the full space, for QuTiP's solvers.

        :math:`g_i\sqrt{n_i}\sigma_i^+`, :math:`g_i\sqrt{n_i+1}\sigma_i^-` (i = 1, 2) and the two load
        operators times :math:`\sqrt{2I\gamma/\beta_r}`, in that order; a zero coupling or gamma leaves its operators out.
        Used to check the sector solution against the full space.

        Returns
        -------
        list of qutip.Qobj
        """
        ops = []
        for beta, B, gi, sm in (
            (beta1, self.B1, g * (1 - chi), self.sm1),
            (beta2, self.B2, g * (1 + chi), self.sm2),
        ):
            if gi != 0:
                n = thermal_occupation(beta, 2 * B)
                ops += [gi * np.sqrt(n) * sm.dag(), gi * np.sqrt(n + 1) * sm]
        if gamma > 0:
            ops += [np.sqrt(2 * self.I * gamma / beta_r) * op for op in self.load_operators(beta_r)]
        return ops

    def _load(self, beta_r):
        if beta_r not in self._load_cache:
            A, B = self.load_operators(beta_r)
            self._load_cache[beta_r] = self.sector.dissipator(A, B)
        return self._load_cache[beta_r]

    def local_dissipators(self, beta1, beta2, g=1.0, chi=0.0):
        r"""Sector matrices of :math:`\mathcal L_1^{(loc)}` and :math:`\mathcal L_2^{(loc)}`, Eqs. (14)-(16)."""
        out = []
        for i, (beta, B, gi) in enumerate(
            ((beta1, self.B1, g * (1 - chi)), (beta2, self.B2, g * (1 + chi))), 1
        ):
            n = thermal_occupation(beta, 2 * B)
            out.append(gi**2 * (n * self._D[f"{i}+"] + (n + 1) * self._D[f"{i}-"]))
        return out

    def load_dissipator(self, gamma, beta_r):
        r"""Sector matrix of :math:`\mathcal L_r^{(loc)}`, Eq. (17)."""
        if not gamma >= 0 or not beta_r > 0:
            raise ValueError(f"need gamma >= 0 and beta_r > 0, got {gamma}, {beta_r}")
        return (2 * self.I * gamma / beta_r) * self._load(beta_r)

    def jump_operators(self, tol=1e-9):
        r"""Eigenoperators :math:`A_i(\omega)` of :math:`\sigma_i^-`, Eq. (A5), grouped by Bohr frequency.

        :math:`H_S` is diagonalized block by block (each block has definite charges, so every
        :math:`A_i(\omega)` does too); transitions whose frequencies differ by less than ``tol``
        belong to one :math:`A_i(\omega)`.

        Returns
        -------
        dict
            ``{1: [(omega, A), ...], 2: [...]}`` with A as scipy CSR in the product basis. Near the
            rotor's resonance an eigenstate that is mostly "qubit 2 excited" carries a small part
            of "qubit 1 excited" with more kinetic energy, so a few weak transitions of
            :math:`\sigma_1^-` have omega < 0.
        """
        if self._global_cache is not None:
            return self._global_cache
        N = self.sector.N
        Hd = self.H.full()
        V = np.zeros((N, N), dtype=complex)
        E = np.zeros(N)
        for block in self.sector.blocks:
            e, v = np.linalg.eigh(Hd[np.ix_(block, block)])
            E[block] = e
            V[np.ix_(block, block)] = v
        out = {}
        for i, sm in ((1, self.sm1), (2, self.sm2)):
            At = V.conj().T @ sm.full() @ V
            a, b = np.nonzero(np.abs(At) > 1e-12)
            w = (
                E[b] - E[a]
            )  # <e_a| A |e_b>: energy drops by w (w < 0 where the rotor gains more than the qubit gives)
            order = np.argsort(w)
            a, b, w = a[order], b[order], w[order]
            groups = np.split(np.arange(w.size), np.flatnonzero(np.diff(w) > tol) + 1)
            Vs = sp.csc_matrix(V)  # eigenvectors live on blocks of size 1 or 2
            ops = []
            for grp in groups:
                # A(w) = sum over its transitions of <e_a|A|e_b> |e_a><e_b|, back in the product basis
                A_w = Vs[:, a[grp]] @ sp.diags(At[a[grp], b[grp]]) @ Vs[:, b[grp]].conj().T
                ops.append((float(w[grp].mean()), sp.csr_matrix(A_w)))
            out[i] = ops
        self._global_cache = out
        return out

    def global_dissipators(self, beta1, beta2, g=1.0, chi=0.0, cutoff=None):
        r"""Sector matrices of :math:`\mathcal L_1^{(glob)}`, :math:`\mathcal L_2^{(glob)}`, Eq. (A15) with (A16)-(A17).

        Parameters
        ----------
        beta1, beta2 : float
            Inverse temperatures of the baths of qubits 1 and 2.
        g, chi : float
            Couplings :math:`g(1\mp\chi)`.
        cutoff : float, optional
            Ω of (A16)-(A17); default the largest qubit splitting :math:`2\max(B_1, B_2)`, our
            reading of "Ω = ω_max": the largest Bohr frequency of the dominant transitions (weak
            transitions that also change the rotor's energy reach higher, by up to about L_max/I).
        """
        ops = self.jump_operators()
        if cutoff is None:
            cutoff = 2 * max(self.B1, self.B2)
        if not cutoff > 0:
            raise ValueError(f"cutoff must be > 0, got {cutoff}")
        if not hasattr(
            self, "_D_glob"
        ):  # D[A(w)] and D[A(w)^dag] of every w, as one weighted family
            self._D_glob = {
                i: LinearFamily(
                    [self.sector.dissipator(B) for _, A in ops[i] for B in (A, A.conj().T)]
                )
                for i in ops
            }
        out = []
        for i, beta, gi in ((1, beta1, g * (1 - chi)), (2, beta2, g * (1 + chi))):
            rates = [r for w, _ in ops[i] for r in _bath_rates(w, beta, gi, cutoff)]
            out.append(self._D_glob[i](np.array(rates)))
        return out

    # --- solutions and flows -----------------------------------------------------------------

    def liouvillian(
        self, beta1, beta2, beta_r, g=1.0, chi=0.0, gamma=5e-5, equation="local", cutoff=None
    ):
        r"""Sector Liouvillian and its parts: ``(L, (L1, L2, Lr))``, Eq. (13) (``"local"``) or (27) (``"global"``)."""
        if equation == "local":
            L1, L2 = self.local_dissipators(beta1, beta2, g, chi)
        elif equation == "global":
            L1, L2 = self.global_dissipators(beta1, beta2, g, chi, cutoff)
        else:
            raise ValueError(f"equation must be 'local' or 'global', got {equation!r}")
        Lr = self.load_dissipator(gamma, beta_r)
        return self._L_H + L1 + L2 + Lr, (L1, L2, Lr)

    def steady_state(
        self, beta1, beta2, beta_r, g=1.0, chi=0.0, gamma=5e-5, equation="local", cutoff=None
    ):
        """Steady state in sector form, shape (m,); :meth:`density_matrix` expands it."""
        L, _ = self.liouvillian(beta1, beta2, beta_r, g, chi, gamma, equation, cutoff)
        return self.sector.steady_state(L)

    def density_matrix(self, x):
        """The full state as a qutip.Qobj with the device's dims, from sector form."""
        return qutip.Qobj(self.sector.matrix(x), dims=self.H.dims)

    def currents(self, x, parts, equation="local"):
        r"""Energy flows of state x (sector form) under the dissipators ``parts = (L1, L2, Lr)``.

        Local equation: heats :math:`\mathrm{Tr}[H_{S,0}\mathcal L_i\rho]`, Eqs. (18)/(19) and (21),
        works :math:`\mathrm{Tr}[H_{S,I}(\mathcal L_1+\mathcal L_2)\rho]` (24) and
        :math:`\mathrm{Tr}[H_{S,I}\mathcal L_r\rho]` (25). Global equation: heats
        :math:`\mathrm{Tr}[H_S\mathcal L_i\rho]`, Eq. (29), and no :math:`W^{(Q)}`.
        """
        L1, L2, Lr = parts
        y1, y2, yr = L1 @ x, L2 @ x, Lr @ x
        w = self._w
        dU = float(np.real(w["H"] @ (self._L_H @ x + y1 + y2 + yr)))
        if equation == "local":
            return Currents(
                float(np.real(w["H0"] @ y1)),
                float(np.real(w["H0"] @ y2)),
                float(np.real(w["H0"] @ yr)),
                float(np.real(w["HI"] @ (y1 + y2))),
                float(np.real(w["HI"] @ yr)),
                dU,
            )
        return Currents(
            float(np.real(w["H"] @ y1)),
            float(np.real(w["H"] @ y2)),
            float(np.real(w["H0"] @ yr)),
            0.0,
            float(np.real(w["HI"] @ yr)),
            dU,
        )

    def expect(self, name, x):
        """Expectation of ``"Lz"``, ``"Lz2"``, ``"H"``, ``"H0"`` or ``"HI"`` in the state x (sector form)."""
        return float(np.real(self._w[name] @ x))

    def rotor_populations(self, x):
        r"""Rotor populations :math:`\langle l|\rho_r|l\rangle`, shape (2L_max + 1,), from sector form."""
        sec = self.sector
        diag = sec.ket == sec.bra
        d = self.l.size
        return np.bincount(sec.ket[diag] % d, weights=np.real(x[diag]), minlength=d)

    def initial_state(self, beta1, beta2, l0=0):
        r"""Product state: each qubit in the Gibbs state of its own bath, the rotor in :math:`|l_0\rangle` (sector form)."""
        if not -self.L_max <= l0 <= self.L_max:
            raise ValueError(f"l0 must lie in [-{self.L_max}, {self.L_max}], got {l0}")
        qubit = lambda beta, B: qutip.Qobj(
            np.diag(np.exp([-beta * B, beta * B]) / (2 * np.cosh(beta * B)))
        )
        rotor = qutip.fock_dm(self.l.size, int(l0 + self.L_max))
        return self.sector.vector(qutip.tensor(qubit(beta1, self.B1), qubit(beta2, self.B2), rotor))

    def evolve(self, liouvillian, x0, times):
        r"""States at ``times`` (>= 0) from x0 at t = 0: :math:`x(t) = e^{\mathcal L t}x_0`.

        The sector Liouvillian is diagonalized once (LAPACK ``geev``), so any set of times, from
        the first kicks to :math:`10^6/\gamma`, costs one decomposition. The eigenvalue nearest
        zero is set to exactly zero and positive real parts (rounding) to zero. The eigenvectors
        are ill-conditioned (condition numbers up to about 1e14 here), so every result is
        checked: the trace must stay 1 to 1e-8, and the unit tests compare with
        ``scipy.linalg.expm`` (agreement to about 1e-11).

        Returns
        -------
        ndarray, shape (len(times), m)

        Raises
        ------
        ValueError
            For negative times, or if the trace drifts by more than 1e-8.
        """
        t = np.asarray(times, dtype=float)
        if t.ndim != 1 or np.any(t < 0):
            raise ValueError("times must be a 1-d array of times >= 0")
        lam, V = scipy.linalg.eig(sp.csr_matrix(liouvillian).toarray())
        # a trace-preserving generator has an exact zero eigenvalue and none with Re > 0; rounding
        # leaves ~1e-15 there, which would leak trace over times ~1e6
        lam[np.argmin(np.abs(lam))] = 0.0
        lam = np.minimum(lam.real, 0.0) + 1j * lam.imag
        with warnings.catch_warnings():  # V is ill-conditioned by nature; accuracy is checked below
            warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
            c = scipy.linalg.solve(V, np.asarray(x0, dtype=complex))
        out = (V @ (np.exp(np.outer(lam, t)) * c[:, None])).T
        drift = np.abs(np.array([self.sector.trace(x) for x in out]) - self.sector.trace(x0)).max()
        if not drift < 1e-8:
            raise ValueError(f"evolution lost accuracy (trace drift {drift:.1e})")
        return out

    def rotor_powers(self, x, liouvillian, parts):
        r"""Rotor powers of state x: kinetic (30), intrinsic (32), back-action heat (33), net (34).

        :math:`\dot W_{kin} = \mathrm{Tr}[\dot\rho L_z^2]/2I = \dot W_{int} + \dot Q_{BA}`, with
        :math:`\dot W_{int} = -i\,\mathrm{Tr}[[H_S,\rho]L_z^2]/2I` and :math:`\dot Q_{BA}` the
        dissipators' part; :math:`\dot W_{net} = \langle L_z\rangle\,\mathrm{Tr}[\dot\rho L_z]/I`.
        """
        w = self._w
        dx = liouvillian @ x
        diss = sum(P @ x for P in parts)
        kin = np.real(w["Lz2"] @ dx) / (2 * self.I)
        return {
            "kinetic": kin,
            "intrinsic": np.real(w["Lz2"] @ (self._L_H @ x)) / (2 * self.I),
            "back_action": np.real(w["Lz2"] @ diss) / (2 * self.I),
            "net": np.real(w["Lz"] @ x) * np.real(w["Lz"] @ dx) / self.I,
        }

    def ergotropies(self, x):
        r"""Ergotropy (35) of the state x for the whole device (:math:`H_S`) and its parts with local Hamiltonians.

        Returns
        -------
        dict
            ``total`` (:math:`H_S`), ``qubits`` (:math:`B_1\sigma_1^z + B_2\sigma_2^z` on the two-qubit
            state), ``rotor`` (:math:`L_z^2/2I`), ``qubit1``, ``qubit2`` (:math:`B_i\sigma^z`).
        """
        rho = self.density_matrix(x)
        sz = qutip.sigmaz()
        two = rho.ptrace([0, 1])
        H_qubits = self.B1 * qutip.tensor(sz, qutip.qeye(2)) + self.B2 * qutip.tensor(
            qutip.qeye(2), sz
        )
        return {
            "total": ergotropy(rho.full(), self.H.full()),
            "qubits": ergotropy(two.full(), H_qubits.full()),
            "rotor": ergotropy(rho.ptrace(2).full(), np.diag(self.l**2 / (2 * self.I))),
            "qubit1": ergotropy(rho.ptrace(0).full(), self.B1 * sz.full()),
            "qubit2": ergotropy(rho.ptrace(1).full(), self.B2 * sz.full()),
        }

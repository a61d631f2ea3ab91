r"""Reference for the cumulant equations of N emitters: the adjoint master equation on three sites.

Under Eq. (5) of Pirmoradian & Mølmer (2019) with :math:`S^- = \sum_i\sigma_i^-`, a
one- or two-site operator Q evolves as

.. math:: \frac{d\langle Q\rangle}{dt} = \Big\langle\gamma\sum_k\mathcal D^\dagger[\sigma_k^-]Q
   + \frac\Gamma2\big(S^+[Q, S^-] + [S^+, Q]S^-\big)\Big\rangle .

For Q on sites 0 and 1 (or 0 alone), every term of :math:`S^\pm` on another site k is the
same for all N - 2 (or N - 1) such sites in a permutation-symmetric state, so it is written
once on site 2 (or 1) with that multiplicity. Expanding the result in Pauli products on
three sites and closing three-site expectation values by dropping the third cumulant,
:math:`\langle ABC\rangle = \langle A\rangle\langle BC\rangle + \langle B\rangle\langle AC\rangle
+ \langle C\rangle\langle AB\rangle - 2\langle A\rangle\langle B\rangle\langle C\rangle`, gives the
right-hand side of the nine moment equations, independently of the hand derivation in
:meth:`qbkit.cumulants.CumulantEnsemble.rhs`. The analytic answer is those equations
(listed in that docstring); two known cases: at Γ = 0 they are linear and closed, and for
N = 2 every closed three-site term carries N - 2 = 0.
"""

import itertools

import numpy as np
import qutip

SM, SP, SZ, ID = qutip.sigmam().full(), qutip.sigmap().full(), qutip.sigmaz().full(), np.eye(2)


def site_op(ops, n):
    """Kronecker product over n sites; ``ops`` maps site -> 2x2 matrix."""
    out = np.eye(1)
    for k in range(n):
        out = np.kron(out, ops.get(k, ID))
    return out


def adjoint_three_site(Q, N, gamma, Gamma):
    """L^dagger(Q) for Q on sites 0, 1, on three sites; site 2 stands for the N - 2 others."""
    sm = [site_op({k: SM}, 3) for k in range(3)]
    sp = [s.conj().T for s in sm]
    out = np.zeros((8, 8), complex)
    for k in (0, 1):
        out += gamma * (sp[k] @ Q @ sm[k] - 0.5 * (sp[k] @ sm[k] @ Q + Q @ sp[k] @ sm[k]))
    inner_m, inner_p = sm[0] + sm[1], sp[0] + sp[1]
    C, Cp = Q @ inner_m - inner_m @ Q, inner_p @ Q - Q @ inner_p
    out += 0.5 * Gamma * ((inner_p + (N - 2) * sp[2]) @ C + Cp @ (inner_m + (N - 2) * sm[2]))
    return out


def adjoint_one_site(Q, N, gamma, Gamma):
    """As :func:`adjoint_three_site` for Q on site 0 alone: site 1 stands for the N - 1 others."""
    sm = [site_op({k: SM}, 3) for k in range(3)]
    sp = [s.conj().T for s in sm]
    out = gamma * (sp[0] @ Q @ sm[0] - 0.5 * (sp[0] @ sm[0] @ Q + Q @ sp[0] @ sm[0]))
    C, Cp = Q @ sm[0] - sm[0] @ Q, sp[0] @ Q - Q @ sp[0]
    out += 0.5 * Gamma * ((sp[0] + (N - 1) * sp[1]) @ C + Cp @ (sm[0] + (N - 1) * sm[1]))
    return out


def closed_expectation(X, y):
    """<X> for a three-site operator X from the nine moments, the third cumulant dropped."""
    sz, sx, sy, p, z, qr, qi, ur, ui = y
    s = {"p": 0.5 * (sx + 1j * sy), "m": 0.5 * (sx - 1j * sy), "z": sz}
    q, u = qr + 1j * qi, ur + 1j * ui
    pair = {
        ("p", "m"): p,
        ("m", "p"): p,
        ("z", "z"): z,
        ("p", "z"): q,
        ("z", "p"): q,
        ("m", "z"): np.conj(q),
        ("z", "m"): np.conj(q),
        ("p", "p"): u,
        ("m", "m"): np.conj(u),
    }
    basis = {"1": ID, "p": SP, "m": SM, "z": SZ}
    norms = {"1": 2, "p": 1, "m": 1, "z": 2}
    total = 0
    for labels in itertools.product("1pmz", repeat=3):
        B = site_op({k: basis[a] for k, a in enumerate(labels)}, 3)
        coeff = np.trace(B.conj().T @ X) / np.prod([norms[a] for a in labels])
        if abs(coeff) < 1e-14:
            continue
        ops = [a for a in labels if a != "1"]
        if len(ops) == 0:
            value = 1.0
        elif len(ops) == 1:
            value = s[ops[0]]
        elif len(ops) == 2:
            value = pair[tuple(ops)]
        else:
            a, b, c = ops
            value = (
                s[a] * pair[(b, c)]
                + s[b] * pair[(a, c)]
                + s[c] * pair[(a, b)]
                - 2 * s[a] * s[b] * s[c]
            )
        total += coeff * value
    return total

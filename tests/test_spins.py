import numpy as np
import pytest
import qutip

from qbkit.spins import CoupledBasis, check_spin, ladder_down, ladder_up, two_spin_operators


@pytest.mark.parametrize("j_C, j_B", [(0.5, 0.5), (1.5, 0.5), (2.5, 1.5), (3, 2), (1, 1)])
def test_coupled_basis_is_clebsch_gordan(j_C, j_B):
    cb = CoupledBasis(j_C, j_B)
    for M, U in zip(cb.M_values, cb.blocks):
        for a, m_B in enumerate(cb.m_B_values(M)):
            for b, J in enumerate(cb.J_values(M)):
                assert U[a, b] == pytest.approx(
                    qutip.clebsch(j_C, j_B, J, M - m_B, m_B, M), abs=1e-12
                )


def test_coupled_basis_diagonalizes_total_spin_and_ladders_are_consistent():
    cb = CoupledBasis(7.5, 2.5)
    ops = two_spin_operators(7.5, 2.5)
    Jm = ops["Jm"].full().real
    J2 = (ops["Jz"] ** 2 + 0.5 * (ops["Jm"] * ops["Jp"] + ops["Jp"] * ops["Jm"])).full().real
    for k, M in enumerate(cb.M_values):
        idx = cb.product_indices(M)
        U = cb.blocks[k]
        np.testing.assert_allclose(U.T @ U, np.eye(len(idx)), atol=1e-12)
        J = cb.J_values(M)
        np.testing.assert_allclose(U.T @ J2[np.ix_(idx, idx)] @ U, np.diag(J * (J + 1)), atol=1e-9)
        if k + 1 < len(cb.M_values):  # <J, M-1|J^-|J, M> = sqrt((J+M)(J-M+1)) for J present in both
            low = cb.product_indices(M - 1)
            lowered = cb.blocks[k + 1].T @ Jm[np.ix_(low, idx)] @ U
            J_low = cb.J_values(M - 1)
            for b, Jb in enumerate(J):
                a = int(np.argmin(np.abs(J_low - Jb)))
                if np.isclose(J_low[a], Jb):
                    assert lowered[a, b] == pytest.approx(ladder_down(Jb, M), abs=1e-10)


def test_ladder_elements_vanish_at_the_ends():
    assert ladder_down(2, -2) == 0 and ladder_up(2, 2) == 0
    assert ladder_down(0.5, 0.5) == pytest.approx(1.0)


@pytest.mark.parametrize(
    "bad, err", [(-0.5, ValueError), (0.3, ValueError), ("1", TypeError), (True, TypeError)]
)
def test_check_spin_rejects_bad_values(bad, err):
    with pytest.raises(err, match="j"):
        check_spin(bad)

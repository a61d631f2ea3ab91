import numpy as np
import pytest
import qutip

from qbkit.spins import (
    CoupledBasis,
    check_spin,
    ladder_down,
    ladder_up,
    lowest_weight_cg_squared,
    projected_Jz_B,
    stretched_cg_squared,
    two_spin_operators,
)


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


@pytest.mark.parametrize("j_C, j_B", [(0.5, 0.5), (1.5, 0.5), (2.5, 1.5), (3, 2), (2, 3.5)])
def test_closed_form_clebsch_gordan_coefficients(j_C, j_B):
    for m_B in np.arange(-j_B, j_B + 1):
        for J in np.arange(abs(j_C - j_B), j_C + j_B + 1):
            M = j_C + m_B
            stretched = qutip.clebsch(j_C, j_B, J, j_C, m_B, M) ** 2 if abs(M) <= J else 0.0
            assert stretched_cg_squared(j_C, j_B, m_B, J) == pytest.approx(stretched, abs=1e-13)
            m_C = -J - m_B
            lowest = qutip.clebsch(j_C, j_B, J, m_C, m_B, -J) ** 2 if abs(m_C) <= j_C else 0.0
            assert lowest_weight_cg_squared(j_C, j_B, J, m_B) == pytest.approx(lowest, abs=1e-13)
    # each is a probability distribution: over J for the product state, over m_B for |J, -J>
    J = np.arange(abs(j_C - j_B), j_C + j_B + 1)
    m_B = np.arange(-j_B, j_B + 1)
    np.testing.assert_allclose(stretched_cg_squared(j_C, j_B, m_B[None, :], J[:, None]).sum(0), 1)
    np.testing.assert_allclose(lowest_weight_cg_squared(j_C, j_B, J[:, None], m_B).sum(1), 1)


def test_projection_theorem_matches_the_coupled_basis():
    j_C, j_B = 3.5, 1.5
    cb = CoupledBasis(j_C, j_B)
    for M, U in zip(cb.M_values, cb.blocks):
        m_B = cb.m_B_values(M)
        np.testing.assert_allclose(
            (U**2).T @ m_B, projected_Jz_B(j_C, j_B, cb.J_values(M), M), atol=1e-12
        )
    assert projected_Jz_B(1, 1, 0, 0) == 0.0

r"""A free rotor under the load of Leitch et al., Eq. (17), alone (no qubits, λ = 0).

The two jump operators of Eq. (17), :math:`\cos\varphi - ic\sin\varphi L_z` and
:math:`\sin\varphi + ic\cos\varphi L_z` with :math:`c = \beta_r/4I`, take :math:`|l\rangle` to
:math:`\tfrac12(1 - cl)|l+1\rangle + \tfrac12(1 + cl)|l-1\rangle` and
:math:`\tfrac1{2i}[(1 - cl)|l+1\rangle - (1 + cl)|l-1\rangle]`, so the load is a birth-death
process on the rotor levels with rates

.. math:: \Gamma_{l\to l+1} = \frac{I\gamma}{\beta_r}(1 - cl)^2, \qquad
          \Gamma_{l\to l-1} = \frac{I\gamma}{\beta_r}(1 + cl)^2 .

Its steady state obeys detailed balance between neighbours,

.. math:: \frac{p_{l+1}}{p_l} = \left(\frac{1 - cl}{1 + c(l+1)}\right)^2 ,

which agrees with the Gibbs ratio :math:`e^{-\beta_r(2l+1)/2I}` to first order in c only.
"""

import numpy as np


def steady_populations(l, I, beta_r):
    """Closed-form steady populations of the levels ``l`` (consecutive integers), normalized."""
    l = np.asarray(l, dtype=float)
    c = beta_r / (4 * I)
    log_ratio = 2 * np.log(np.abs(1 - c * l[:-1]) / (1 + c * (l[:-1] + 1)))
    logp = np.concatenate([[0.0], np.cumsum(log_ratio)])
    p = np.exp(logp - logp.max())
    return p / p.sum()

"""qbkit: the helper package behind the qbkit book of reproducible quantum-battery papers.

Physics, organized by concept:

* :mod:`qbkit.spins`: collective spins, their multiplets, block-diagonal states;
* :mod:`qbkit.dicke`: exact Dicke-basis populations under individual and collective decay;
* :mod:`qbkit.cumulants`: second-order cumulant equations of an emitter ensemble;
* :mod:`qbkit.collision`: repeated-interaction (collision) channels of a ladder battery;
* :mod:`qbkit.sectors`: Liouvillians restricted to a weak-symmetry sector;
* :mod:`qbkit.ergotropy`, :mod:`qbkit.entanglement`, :mod:`qbkit.thermo`: figures of merit,
  entanglement measures, heat currents, efficiencies and thermal states;
* :mod:`qbkit.series`: peaks, extrema and sign changes of sampled curves;
* :mod:`qbkit.models`: one module per physical model of the book's papers.

The book's machinery (parameters, chapters, execution, cache, figures, scorecards, the build
and the command line) is the subpackage :mod:`qbkit.book`.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("qbkit")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0+unknown"

"""qbkit: the helper package behind the qbkit book of reproducible quantum-battery papers.

Organized by physics concept: :mod:`qbkit.spins` (collective spins and their
multiplets), :mod:`qbkit.ergotropy`, :mod:`qbkit.entanglement`, :mod:`qbkit.thermo`,
:mod:`qbkit.models` (one module per physical model), plus the book's machinery:
:mod:`qbkit.params`, :mod:`qbkit.chapters`, :mod:`qbkit.output`, :mod:`qbkit.runner`,
:mod:`qbkit.cli` and :mod:`qbkit.book`.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("qbkit")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0+unknown"

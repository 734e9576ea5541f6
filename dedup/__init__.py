"""dedup: find what is repeated in syndicated content and give back a clean, canonical corpus.

    >>> import dedup
    >>> summary = dedup.run([Path("seeds")], Path("reports"), dedup.Config())
"""

from .config import Config, ConfigError
from .pipeline import analyse, run

__all__ = ["Config", "ConfigError", "analyse", "run"]
__version__ = "0.1.0"

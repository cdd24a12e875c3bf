"""The PySide6 user interface: widgets, Qt models and the task runner.

Importing it first guards the interpreter against a PySide6 refcount bug (see shopguard.pyside_fix).
"""

from shopguard.pyside_fix import protect_singletons

protect_singletons()

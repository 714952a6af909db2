"""LSTM Lab: entry point. The shell (navigation, workspace, sidebar) lives in ui.shell."""

from ui import shell

shell.frame().run()

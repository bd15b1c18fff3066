"""Typed errors of the core. Every expected failure raises one of these; shells print the message."""


class NahawiError(Exception):
    """Base of every error Nahawi raises on purpose."""


class InputError(NahawiError):
    """The user's input cannot be processed (invalid UTF-8, bad option value, wrong line count)."""


class M2FormatError(NahawiError):
    """A malformed M2 file; the message names the file and line."""


class ModelError(NahawiError):
    """A model directory is missing, truncated, corrupt or mismatched; the message names the file."""


class ConfigError(NahawiError):
    """A configuration has an unknown key or an invalid value."""


class MissingExtraError(NahawiError):
    """A command needs an optional dependency group that is not installed."""

    def __init__(self, extra: str, module: str):
        super().__init__(f"this command needs the '{extra}' extra ({module} is not installed): "
                         f"pip install 'nahawi[{extra}]'")
        self.extra = extra

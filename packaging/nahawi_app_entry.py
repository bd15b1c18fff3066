"""The frozen editor's script: PyInstaller starts a script, not a console_scripts entry point."""
import sys

from nahawi_app.main import main

if __name__ == "__main__":
    sys.exit(main())

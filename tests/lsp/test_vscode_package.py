"""The VS Code extension's manifest (issue 14): every server setting declared, each with a scope and a
Markdown description in English and Arabic, every enum value described, the trace setting, the icon and
the files `vsce package` asks for, and a bundled client (esbuild) so the package carries no node_modules."""
from __future__ import annotations

import json
import re
from pathlib import Path

from lsp_server.settings import CLIENT_KEYS, KEYS

PACKAGE = Path(__file__).resolve().parents[2] / "editors" / "vscode"


def test_the_manifest_declares_every_setting_in_both_languages():
    manifest = json.loads((PACKAGE / "package.json").read_text(encoding="utf-8"))
    english = json.loads((PACKAGE / "package.nls.json").read_text(encoding="utf-8"))
    arabic = json.loads((PACKAGE / "package.nls.ar.json").read_text(encoding="utf-8"))
    properties = manifest["contributes"]["configuration"]["properties"]
    assert {name.removeprefix("nahawi.") for name in properties} == set(KEYS) | {"serverPath", "serverArgs",
                                                                                 "trace.server"}
    assert {"serverPath", "serverArgs", "trace"} <= CLIENT_KEYS
    keys = set(re.findall(r'"%([^%"]+)%"', (PACKAGE / "package.json").read_text(encoding="utf-8")))
    assert keys and keys == set(english) == set(arabic)
    for name, prop in properties.items():
        assert prop["scope"] in ("application", "machine", "machine-overridable", "window", "resource"), name
        assert prop["markdownDescription"] == f"%{name}%" and "description" not in prop, name
        if "enum" in prop:
            assert len(prop["enumDescriptions"]) == len(prop["enum"]), name
    assert all(re.search("[\u0600-\u06ff]", text) for key, text in arabic.items() if key != "category" or text)
    assert (PACKAGE / manifest["icon"]).read_bytes().startswith(b"\x89PNG")
    for name in ("LICENSE", "README.md", ".vscodeignore", ".gitignore"):
        assert (PACKAGE / name).is_file(), name
    assert {"node_modules/", "*.vsix"} <= set((PACKAGE / ".gitignore").read_text().split())


def test_the_package_is_the_bundle_and_its_listed_files_only():
    """Issue 14: `vsce package` warned that the extension was not bundled and packed node_modules."""
    manifest = json.loads((PACKAGE / "package.json").read_text(encoding="utf-8"))
    assert manifest["main"] == "./dist/extension.js"
    assert "dependencies" not in manifest  # vscode-languageclient is bundled, not shipped as node_modules
    assert {"vscode-languageclient", "esbuild", "@vscode/vsce"} <= set(manifest["devDependencies"])
    bundle = manifest["scripts"][manifest["scripts"]["vscode:prepublish"].removeprefix("npm run ")]
    assert "esbuild extension.js --bundle --outfile=dist/extension.js --external:vscode" in bundle
    ignore = [line for line in (PACKAGE / ".vscodeignore").read_text().splitlines() if line and line[0] != "#"]
    assert ignore[0] == "**" and set(ignore[1:]) == {"!dist/extension.js", "!package.json", "!package.nls.json",
                                                     "!package.nls.ar.json", f"!{manifest['icon']}", "!README.md",
                                                     "!LICENSE"}
    assert {"node_modules/", "*.vsix", "dist/"} <= set((PACKAGE / ".gitignore").read_text().split())
    lock = json.loads((PACKAGE / "package-lock.json").read_text(encoding="utf-8"))
    assert lock["packages"][""]["devDependencies"] == manifest["devDependencies"]

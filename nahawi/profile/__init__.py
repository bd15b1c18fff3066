"""The personal profile: what Nahawi knows of one writer, kept in one private folder shared by the CLI,
the app and the language server (docs/profile.md).

`store` owns the folder and its files, `decisions` the accepted/ignored record, `overlay` the writer's
vocabulary on the corpus lexicon, `writer` what the engine does with a profile, `learn` how
`nahawi adapt` fits it. Importing this package loads no model.
"""
from nahawi.profile.decisions import Decision, read_decisions
from nahawi.profile.store import Profile, ProfileError, default_profile_dir

__all__ = ["Decision", "Profile", "ProfileError", "default_profile_dir", "read_decisions"]

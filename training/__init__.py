"""Training side of Nahawi: data preparation, tokenizer and model training.

Data preparation (`training.data`) and the tokenizer need only the core dependencies; model training
needs the `train` extra (torch): `pip install 'nahawi[train]'`.
"""

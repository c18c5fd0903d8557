# DDAD (arXiv 2104.05382) on digits (_base_/methods/ddad.py): α = β = 1.
_base_ = ['./_base_/data_free/digits.py', './_base_/methods/ddad.py']

model = _base_.ddad_model

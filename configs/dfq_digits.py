# DFQ (Choi et al., CVPRW'20) on digits (_base_/methods/dfq.py): rounds of
# 5 student steps and 1 generator step.
_base_ = ['./_base_/data_free/digits.py', './_base_/methods/dfq.py']

model = dict(_base_.dfq_model, schedule=[('student', 5), ('generator', 1)])

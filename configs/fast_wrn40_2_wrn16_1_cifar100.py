# Fast DFKD (Fang et al., AAAI'22), CIFAR-100 WRN-40-2 → WRN-16-1.
# The recipe of fast_resnet34_resnet18_cifar100.py with the Wide ResNets
# and the authors' loss weights for them (0.4 one-hot, 1.1 adversarial);
# train the teacher with configs/teachers/wrn40_2_cifar100.py.
_base_ = ['./fast_resnet34_resnet18_cifar100.py']

teacher_config = _base_.cifar100_wrn_teacher_config
model = dict(
    _base_.cifar100_wrn_model,
    generator_losses=dict(
        onehot=dict(loss_weight=0.4), adv=dict(loss_weight=1.1)))

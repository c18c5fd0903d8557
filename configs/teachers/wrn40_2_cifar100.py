# Supervised training of a WRN-40-2 teacher on CIFAR-100 (data/cifar100):
# the CIFAR-10 recipe (wrn40_2_cifar10.py: SGD 0.1 nesterov, wd 5e-4,
# cosine over 200 epochs, batch 128, random crop pad 4 + flip) with
# mmpretrain's CIFAR-100 dataset (as in its cifar100_bs16.py), its
# normalisation and a 100-class head.
#   python tools/train.py configs/teachers/wrn40_2_cifar100.py
_base_ = ['./wrn40_2_cifar10.py']

data_preprocessor = dict(
    num_classes=100,
    mean=[129.304, 124.070, 112.434],
    std=[68.170, 65.392, 70.418],
    to_rgb=False)
model = dict(
    data_preprocessor=data_preprocessor, head=dict(num_classes=100))
train_dataloader = dict(
    dataset=dict(type='CIFAR100', data_root='data/cifar100'))
# Validation reads the first 5,000 training images: a fit check on images
# the teacher trains on, never a selection (no checkpoint is chosen by it);
# mmpretrain's recipe validates on the test split, which is for
# tools/test.py only here.
val_dataloader = dict(
    dataset=dict(type='CIFAR100', data_root='data/cifar100', split='train',
                 indices=5000))
test_dataloader = dict(
    dataset=dict(type='CIFAR100', data_root='data/cifar100'))

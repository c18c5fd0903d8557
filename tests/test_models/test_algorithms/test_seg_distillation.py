"""Per-pixel distillation with mmseg segmentors: the same loss terms and
task adapter as classification, SegDataSample predictions for IoUMetric,
and early errors for inputs the networks cannot take."""
import pytest
import torch
import torch.nn.functional as F
from mmengine.structures import PixelData

from mmdfkd.datasets import LatentDataset
from mmdfkd.registry import MODELS, OPTIM_WRAPPER_CONSTRUCTORS
from tests.conftest import distiller_cfg
from tests.test_models.seg_nets import seg_distiller, seg_student


def optim_wrappers(model):
    return OPTIM_WRAPPER_CONSTRUCTORS.build(
        dict(
            type='MultiOptimWrapperConstructor',
            optim_wrapper_cfg=dict(
                generator=dict(optimizer=dict(type='Adam', lr=1e-3)),
                student=dict(optimizer=dict(type='SGD', lr=0.1)))))(model)


def latents(n=4, draws=3, dim=8):
    ds = LatentDataset(dim, draws=draws, num_classes=5)
    return torch.utils.data.default_collate([ds[i] for i in range(n)])


@pytest.fixture(scope='module')
def model():
    torch.manual_seed(0)
    m = MODELS.build(seg_distiller())
    m.init_weights()
    return m


def test_per_pixel_rows_at_input_size(model):
    """Logits at 1/8 of the input are resized to the input: one row per
    pixel, and the L1 / KL terms equal the hand-computed per-pixel means."""
    images = torch.rand(2, 3, 32, 32) * 255
    model.train()
    terms = torch.nn.ModuleDict(
        dict(
            l1=MODELS.build(dict(type='L1LogitsLoss')),
            kl=MODELS.build(dict(type='KLDivergenceLoss', tau=2.0)),
            adv=MODELS.build(
                dict(type='AdversarialL1Loss', form='neg_log1p'))))
    with torch.no_grad():
        ctx = model.context(images, None, terms, teacher_grad=False)
        t = model.teacher(model.normalize(images, 'teacher'), mode='tensor')
        s = model.student(model.normalize(images, 'student'), mode='tensor')
    assert t.shape[-2:] == (4, 4)  # output stride 8
    assert ctx.teacher_logits.shape == (2 * 32 * 32, 5)
    assert ctx.rows_per_sample == 32 * 32
    t_up = F.interpolate(t, size=(32, 32), mode='bilinear')
    s_up = F.interpolate(s, size=(32, 32), mode='bilinear')
    l1 = (s_up - t_up).abs().mean()
    torch.testing.assert_close(terms['l1'](ctx), l1)
    torch.testing.assert_close(terms['adv'](ctx), -torch.log1p(l1))
    kl = (F.softmax(t_up / 2, 1) *
          (F.log_softmax(t_up / 2, 1) - F.log_softmax(s_up / 2, 1))).sum(1)
    torch.testing.assert_close(terms['kl'](ctx), 4 * kl.mean())


def test_round_updates_the_right_networks(model):
    wrappers = optim_wrappers(model)
    model.train()
    teacher = {k: v.clone() for k, v in model.teacher.state_dict().items()}
    gen = [p.clone() for p in model.synthesizer.parameters()]
    head = model.student.decode_head.conv_seg.weight.clone()
    log = model.train_step(latents(), wrappers)
    for key in ('student.loss', 'generator.loss_bn', 'generator.loss_adv'):
        assert torch.isfinite(log[key])
    assert log['generator.loss_adv'] < 0  # −log(1 + L1)
    assert not torch.equal(head, model.student.decode_head.conv_seg.weight)
    assert any(not torch.equal(a, b)
               for a, b in zip(gen, model.synthesizer.parameters()))
    for k, v in model.teacher.state_dict().items():
        assert torch.equal(v, teacher[k]), k
    assert model.synthesizer.preview().shape == (4, 3, 32, 32)


def test_val_step_gives_seg_data_samples_for_iou(model):
    from mmseg.evaluation import IoUMetric
    from mmseg.structures import SegDataSample
    model.eval()
    samples = []
    for _ in range(2):
        s = SegDataSample()
        s.gt_sem_seg = PixelData(data=torch.randint(0, 5, (1, 24, 40)))
        s.set_metainfo(dict(img_shape=(24, 40), ori_shape=(24, 40)))
        samples.append(s)
    data = dict(
        inputs=[torch.randint(0, 255, (3, 24, 40), dtype=torch.uint8)] * 2,
        data_samples=samples)
    out = model.val_step(data)
    assert isinstance(out[0], SegDataSample)
    assert out[0].pred_sem_seg.data.shape == (1, 24, 40)
    metric = IoUMetric()
    metric.dataset_meta = dict(classes=list('abcde'))
    metric.process(data, [o.to_dict() for o in out])
    assert 0 <= metric.compute_metrics(metric.results)['mIoU'] <= 100


def test_student_learns_the_teacher_per_pixel():
    """A fixed generator: 30 student steps of per-pixel KL lower the KL on
    held-out synthesized batches."""
    torch.manual_seed(0)
    m = MODELS.build(
        seg_distiller(
            student_losses=dict(kd=dict(type='KLDivergenceLoss')),
            schedule=[('student', 1)]))
    m.init_weights()
    wrappers = optim_wrappers(m)
    held_out = latents(8, draws=1)

    def kl():
        m.eval()
        with torch.no_grad():
            images = m.synthesizer(held_out['latents'][:, 0])
            ctx = m.context(images, None, m.student_losses,
                            teacher_grad=False)
            return float(m.student_losses['kd'](ctx))

    before = kl()
    m.train()
    for i in range(30):
        batch = latents(8, draws=1)
        batch['latents'] = torch.randn_like(batch['latents'])
        m.train()
        m.train_step(batch, wrappers)
    assert kl() < 0.7 * before


def test_class_count_mismatch_seg():
    with pytest.raises(ValueError, match='teacher predicts 5 classes but '
                       'the student 7'):
        MODELS.build(seg_distiller(student=seg_student(7)))


def test_generator_the_student_cannot_take():
    cfg = seg_distiller()
    cfg['synthesizer']['generator']['out_channels'] = 1
    with pytest.raises(ValueError, match='the teacher cannot take the '
                       "GeneratorSynthesizer's \\(1, 32, 32\\)"):
        MODELS.build(cfg)


def test_classifier_and_segmentor_do_not_pair(teacher_cfg):
    cfg = distiller_cfg(teacher_cfg, seg_student(10))
    cfg['synthesizer']['generator'].update(out_channels=3, img_size=16)
    cfg['teacher']['backbone']['in_channels'] = 3
    cfg['teacher']['data_preprocessor'] = dict(
        type='mmpretrain.ClsDataPreprocessor', mean=[0] * 3, std=[1] * 3)
    with pytest.raises(ValueError, match='do not line up'):
        MODELS.build(cfg)


def test_teacher_never_fetches_pretrained_weights():
    """A teacher recipe naming pretrained backbone weights (mmseg's R50
    ones do) builds without them: its weights come from teacher_ckpt."""
    cfg = seg_distiller()
    cfg['teacher']['pretrained'] = 'open-mmlab://resnet50_v1c'
    m = MODELS.build(cfg)
    init_cfg = m.teacher.backbone.init_cfg
    assert 'Pretrained' not in str(init_cfg), init_cfg
    m.init_weights()  # would try to download otherwise

"""tools/quantize.py and mmdfkd.engine.quantization: an int8 copy of the
digits teacher, calibrated on pool / real / noise images, is really
quantized, stays close to the float model, depends on its calibration data,
is saved and loads back with the same outputs, takes other precisions, and
refuses a pool synthesized by another teacher."""
import importlib.util
import json
import os.path as osp

import pytest
import torch

from tests.conftest import ROOT, load_cfg

TEACHER_CONFIG = osp.join(ROOT, 'configs/teachers/digits_convnet.py')


def _load_tool(name):
    spec = importlib.util.spec_from_file_location(
        f'mmdfkd_tools_{name}', osp.join(ROOT, 'tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def quantize_tool():
    return _load_tool('quantize')


@pytest.fixture(scope='module')
def teacher_and_data(trained_teacher, quantize_tool):
    """(PixelSpaceModel of the trained teacher, train images, test images,
    test labels)."""
    from mmengine.registry import DefaultScope

    from mmdfkd.engine.quantization import PixelSpaceModel
    cfg = load_cfg('configs/teachers/digits_convnet.py')
    with DefaultScope.overwrite_default_scope('mmdfkd'):
        model = quantize_tool.build_model(cfg, trained_teacher)
        pipeline = cfg.test_dataloader.dataset.pipeline
        train, _ = quantize_tool.load_split(cfg, 'train', 128, 0, pipeline)
        test, labels = quantize_tool.load_split(cfg, 'test')
    return PixelSpaceModel(model, cfg.model).eval(), train, test, labels


def test_int8_close_to_float_and_really_quantized(teacher_and_data):
    from mmdfkd.engine import quantization as Q
    wrapper, train, test, labels = teacher_and_data
    qmodel = Q.quantize_static(wrapper, Q.batches(train, 32), train[:2])

    assert Q.is_quantized(qmodel)
    weights = Q.integer_weights(qmodel)
    assert len(weights) == 4  # three convs (BN folded) and the linear head
    for weight in weights.values():
        assert weight.dtype == torch.int8
        assert int(weight.min()) >= -128 and int(weight.max()) == 127
    # the input and every quantized activation have a calibrated scale
    assert len(Q.activation_scales(qmodel)) >= 4
    # the float model is untouched (the export worked on a copy)
    assert not any('observer' in n for n, _ in wrapper.named_modules())

    with torch.no_grad():
        ref = wrapper(test)
        out = qmodel(test)
    assert out.dtype == torch.float32 and out.shape == ref.shape
    err = (out - ref).abs().max() / ref.abs().max()
    assert float(err) < 0.1, float(err)
    fp = Q.evaluate(wrapper, test, labels)
    q8 = Q.evaluate(qmodel, test, labels, reference=fp['predictions'],
                    reference_logits=fp['logits'])
    assert q8['agreement'] > 95.0
    assert q8['sqnr_db'] > 15.0, q8['sqnr_db']
    same = Q.evaluate(wrapper, test, labels, reference_logits=fp['logits'])
    assert same['sqnr_db'] == float('inf') and same['accuracy'] == fp[
        'accuracy']
    assert abs(q8['accuracy'] - fp['accuracy']) < 3.0


def test_saved_model_loads_back_with_the_same_outputs(teacher_and_data,
                                                      tmp_path):
    from mmdfkd.engine import quantization as Q
    wrapper, train, test, labels = teacher_and_data
    qmodel = Q.quantize_static(wrapper, Q.batches(train, 64), train[:2])
    path = Q.save_quantized(qmodel, train[:2], str(tmp_path / 'q' / 'm.pt2'))
    loaded = Q.load_quantized(path)
    assert Q.is_quantized(loaded)  # int8 weights and quantize ops kept
    before = Q.evaluate(qmodel, test, labels)
    after = Q.evaluate(loaded, test, labels)  # 540 images: another batch
    assert torch.equal(before['logits'], after['logits'])
    assert after['accuracy'] == before['accuracy']
    with pytest.raises(FileNotFoundError, match='nope.pt2'):
        Q.load_quantized(str(tmp_path / 'nope.pt2'))


def test_precision_is_a_parameter(teacher_and_data):
    """4-bit weights: every weight on the 16-level grid [-8, 7]; 4-bit
    activations: 16 levels, so much coarser scales than 8-bit ones."""
    from mmdfkd.engine import quantization as Q
    wrapper, train, test, labels = teacher_and_data
    w8 = Q.quantize_static(wrapper, [train], train[:2])
    w4 = Q.quantize_static(wrapper, [train], train[:2], weight_bits=4)
    w4a4 = Q.quantize_static(wrapper, [train], train[:2], weight_bits=4,
                             activation_bits=4)
    for weight in Q.integer_weights(w4).values():
        assert int(weight.min()) >= -8 and int(weight.max()) == 7
    s8, s4 = Q.activation_scales(w4), Q.activation_scales(w4a4)
    for key in s8:  # (2^8 - 1) / (2^4 - 1) = 17 times the step
        assert s4[key] > 5 * s8[key]
    errors = [
        float((Q.evaluate(m, test, labels)['logits'] -
               Q.evaluate(wrapper, test, labels)['logits']).abs().mean())
        for m in (w8, w4, w4a4)
    ]
    assert errors[0] < errors[1] < errors[2], errors
    with pytest.raises(ValueError, match='weight_bits must be an int in'):
        Q.make_quantizer(weight_bits=16)


def test_calibration_data_sets_the_scales(teacher_and_data):
    from mmdfkd.engine import quantization as Q
    wrapper, train, _, _ = teacher_and_data
    real = Q.activation_scales(
        Q.quantize_static(wrapper, Q.batches(train, 64), train[:2]))
    zeros = torch.zeros_like(train)
    const = Q.activation_scales(
        Q.quantize_static(wrapper, Q.batches(zeros, 64), zeros[:2]))
    assert real.keys() == const.keys() and len(real) >= 4
    input_scale = next(iter(real))  # the first quantize: the input's
    # zeros normalise to one constant (-mean/std): a much narrower range
    # than real digits' (-mean/std .. (255-mean)/std)
    assert real[input_scale] > 2 * const[input_scale]
    assert all(abs(real[k] - const[k]) > 1e-3 * real[k] for k in real)


def test_per_tensor_weights(teacher_and_data):
    from mmdfkd.engine import quantization as Q
    wrapper, train, _, _ = teacher_and_data
    qmodel = Q.quantize_static(wrapper, [train[:32]], train[:2],
                               weight='per-tensor', activation='minmax')
    ops = {str(n.target) for n in qmodel.graph.nodes}
    assert not any('per_channel' in op for op in ops)
    assert Q.integer_weights(qmodel)
    with pytest.raises(ValueError, match='empty'):
        Q.quantize_static(wrapper, [], train[:2])
    with pytest.raises(ValueError, match='per-tensor'):
        Q.make_quantizer(weight='per-row')


def test_noise_images():
    from mmdfkd.engine.quantization import gaussian_noise_images
    imgs = gaussian_noise_images(256, (1, 8, 8), torch.tensor([78.04]),
                                 torch.tensor([95.94]), (0, 255), seed=1)
    assert imgs.shape == (256, 1, 8, 8)
    assert float(imgs.min()) == 0 and float(imgs.max()) <= 255
    assert torch.equal(
        imgs,
        gaussian_noise_images(256, (1, 8, 8), torch.tensor([78.04]),
                              torch.tensor([95.94]), (0, 255), seed=1))


def test_cli_noise(quantize_tool, trained_teacher, tmp_path):
    out = tmp_path / 'res' / 'noise.json'
    result = quantize_tool.main([
        TEACHER_CONFIG, trained_teacher, '--calib', 'noise', '--num-calib',
        '64', '--out', str(out), '--out-model',
        str(tmp_path / 'noise.pt2')
    ])
    saved = json.loads(out.read_text())
    assert saved == json.loads(json.dumps(result))
    assert saved['calibration'] == 'noise' and saved['num_calib'] == 64
    assert saved['num_eval'] == 540 and saved['split'] == 'test'
    for key in ('float_accuracy', 'quantized_accuracy'):
        assert 0 <= saved[key] <= 100
    # the int8 model is written; loaded back, it scores the same
    from mmdfkd.engine import quantization as Q
    cfg = load_cfg('configs/teachers/digits_convnet.py')
    images, labels = quantize_tool.load_split(cfg, 'test')
    loaded = Q.load_quantized(saved['saved_model'])
    assert Q.is_quantized(loaded)
    assert Q.evaluate(loaded, images, labels)['accuracy'] == pytest.approx(
        saved['quantized_accuracy'])
    assert saved['saved_model_accuracy'] == saved['quantized_accuracy']
    # an existing model file is not replaced silently
    args = [TEACHER_CONFIG, trained_teacher, '--calib', 'noise',
            '--num-calib', '64', '--out-model', saved['saved_model']]
    with pytest.raises(SystemExit):
        quantize_tool.main(args)
    assert quantize_tool.main(args + ['--overwrite', '--act-bits', '4'])[
        'act_bits'] == 4
    with pytest.raises(SystemExit):
        quantize_tool.main(
            [TEACHER_CONFIG, trained_teacher, '--calib', 'pixels'])


def test_cli_pool_and_foreign_pool_refused(quantize_tool, trained_teacher,
                                           tmp_path):
    from mmdfkd.utils.pool_format import PoolFingerprintError
    pool_dir = tmp_path / 'pool'
    _load_tool('synthesize').main([
        osp.join(ROOT, 'configs/deepinv_digits.py'), '--teacher-ckpt',
        trained_teacher, '--out',
        str(pool_dir), '--num-images', '64', '--batch-size', '32',
        '--cfg-options', 'model.synthesizer.iterations=20'
    ])
    result = quantize_tool.main([
        TEACHER_CONFIG, trained_teacher, '--calib', f'pool:{pool_dir}',
        '--num-calib', '48', '--split', 'val', '--out',
        str(tmp_path / 'pool.json'), '--out-model', str(tmp_path / 'a.pt2')
    ])
    assert result['calibration'] == f'pool:{pool_dir}'
    assert result['num_calib'] == 48 and result['num_eval'] == 189
    assert result['quantized_accuracy'] > 50  # a trained teacher stays useful

    with pytest.raises(ValueError, match='exceeds the 64 images'):
        quantize_tool.main([  # (a model of the checkout's own runs kept)
            TEACHER_CONFIG, trained_teacher, '--calib', f'pool:{pool_dir}',
            '--num-calib', '65', '--out-model', str(tmp_path / 'c.pt2')
        ])
    # another teacher: same architecture, other weights
    state = torch.load(trained_teacher, weights_only=True)['state_dict']
    state = {k: v + 0.01 if v.is_floating_point() else v
             for k, v in state.items()}
    other = tmp_path / 'other_teacher.pth'
    torch.save(dict(state_dict=state), other)
    with pytest.raises(PoolFingerprintError, match='another teacher'):
        quantize_tool.main([
            TEACHER_CONFIG, str(other), '--calib', f'pool:{pool_dir}',
            '--num-calib', '32'
        ])
    # quantizing another model with this teacher's pool: name the teacher
    result = quantize_tool.main([
        TEACHER_CONFIG, str(other), '--calib', f'pool:{pool_dir}',
        '--num-calib', '32', '--pool-teacher-ckpt', trained_teacher,
        '--out-model', str(tmp_path / 'b.pt2')
    ])
    assert result['num_calib'] == 32


def test_cli_sweep_equals_separate_runs(quantize_tool, trained_teacher,
                                        tmp_path, monkeypatch):
    """Several sources and precisions in one run: every precision with
    every source, each result what a separate run computes."""
    monkeypatch.chdir(tmp_path)  # the default --out-model folder
    common = [TEACHER_CONFIG, trained_teacher, '--num-calib', '32',
              '--split', 'val']
    sweep = quantize_tool.main(common + [
        '--calib', 'real', 'noise', '--weight-bits', '8', '4',
        '--act-bits', '8', '4', '--out', 'sweep.json'])
    runs = sweep['runs']
    assert [(r['weight_bits'], r['act_bits'], r['calibration'])
            for r in runs] == [(8, 8, 'real'), (8, 8, 'noise'),
                               (4, 4, 'real'), (4, 4, 'noise')]
    assert json.loads((tmp_path / 'sweep.json').read_text()) == json.loads(
        json.dumps(sweep))
    assert len({r['saved_model'] for r in runs}) == 4
    assert all(osp.isfile(r['saved_model']) for r in runs)
    assert runs[3]['saved_model'] == osp.join(
        'work_dirs', 'quantize', 'teacher_w4a4_noise_seed0.pt2')
    keys = ('float_accuracy', 'quantized_accuracy', 'saved_model_accuracy',
            'agreement', 'logit_sqnr_db', 'num_calib', 'num_eval')
    for row in (runs[0], runs[3]):  # the first, and one after three others
        alone = quantize_tool.main(common + [
            '--calib', row['calibration'], '--weight-bits',
            str(row['weight_bits']), '--act-bits', str(row['act_bits']),
            '--out-model', 'alone.pt2', '--overwrite'])
        assert {k: alone[k] for k in keys} == {k: row[k] for k in keys}
    # a single value serves every pair; lengths that do not pair fail
    args = quantize_tool.parse_args(common + [
        '--calib', 'noise', '--weight-bits', '8', '4', '--act-bits', '8',
        '--overwrite'])
    assert args.runs == [(8, 8, 'noise'), (4, 8, 'noise')]
    for bad in (['--weight-bits', '8', '4', '2', '--act-bits', '8', '4'],
                ['--calib', 'real', 'noise', '--out-model', 'one.pt2']):
        with pytest.raises(SystemExit):
            quantize_tool.parse_args(common + ['--calib', 'noise', *bad])

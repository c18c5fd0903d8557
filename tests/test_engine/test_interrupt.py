"""The report of an interrupted run: what was cut off and which checkpoint
is intact."""
import os
import time

from mmdfkd.engine.interrupt import interrupt_message, was_interrupted


def raise_during(fn_name):
    """A SyntaxError raised while handling a KeyboardInterrupt inside a
    function called ``fn_name`` (what Config.pretty_text does during
    Runner.save_checkpoint)."""
    def inner():
        try:
            raise KeyboardInterrupt
        except:  # noqa: E722 - as MMEngine's pretty_text does
            raise SyntaxError('Failed to format the config file')
    namespace = {'inner': inner}
    exec(f'def {fn_name}():\n    inner()', namespace)
    try:
        namespace[fn_name]()
    except SyntaxError as e:
        return e


def test_was_interrupted_follows_the_context_chain():
    assert was_interrupted(KeyboardInterrupt())
    assert was_interrupted(raise_during('save_checkpoint'))
    assert not was_interrupted(SyntaxError('a real syntax error'))
    try:
        try:
            raise ValueError('first')
        except ValueError:
            raise RuntimeError('second')
    except RuntimeError as e:
        assert not was_interrupted(e)


def test_message_names_the_intact_and_the_partial_checkpoint(tmp_path):
    intact = tmp_path / 'iter_2.pth'
    intact.write_bytes(b'complete')
    (tmp_path / 'last_checkpoint').write_text(str(intact))
    old = time.time() - 60
    os.utime(intact, (old, old))
    partial = tmp_path / 'iter_4.pth'
    partial.write_bytes(b'cut')
    text = interrupt_message(raise_during('save_checkpoint'), str(tmp_path))
    lines = text.splitlines()
    assert lines[0] == ('Training was interrupted while a checkpoint was '
                        'being saved.')
    assert str(partial) in lines[1] and 'incomplete' in lines[1]
    assert str(intact) not in lines[1]
    assert f'The last complete checkpoint is {intact}' in lines[2]
    assert f'--resume --work-dir {tmp_path}' in lines[2]
    assert len(lines) == 3


def test_message_without_any_checkpoint(tmp_path):
    text = interrupt_message(KeyboardInterrupt(), str(tmp_path))
    assert text.splitlines() == [
        'Training was interrupted.',
        f'No complete checkpoint in {tmp_path}: the run starts again from '
        'the beginning.'
    ]

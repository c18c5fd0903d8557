"""Configs whose text is laid out once per content.

MMEngine lays a config's text out with yapf whenever it needs it: for the
log, the work dir's copy, the visualizer's copy, the runtime info and the
meta of every checkpoint, so at least three times per runner built and
once more per checkpoint. For a distillation config that takes about
0.4 CPU s each on a 2-core machine, and the text is the same as long as
the config is (the 31 dry runs of docs/fashion_mnist.md, which build 71
runners: 92.7 CPU s, 42.3 with the text laid out once per runner).
"""
from collections import OrderedDict

from mmengine.config import Config

__all__ = ['FormatOnceConfig']

#: Plain text (no layout) -> laid out text; the least recently used goes.
_LAID_OUT: 'OrderedDict[str, str]' = OrderedDict()
#: Texts kept: a process builds few distinct configs.
_KEEP = 8


class FormatOnceConfig(Config):
    """A :class:`~mmengine.config.Config` whose :attr:`pretty_text` is
    MMEngine's, computed once for each distinct content and then reused
    (copies of the config, e.g. the runner's own, share it)."""

    @classmethod
    def of(cls, cfg: Config) -> 'FormatOnceConfig':
        """``cfg``'s content, file name, text and environment variables
        in a :class:`FormatOnceConfig` (laid out with yapf, MMEngine's
        default)."""
        return cls(cfg.to_dict(), cfg_text=cfg.text, filename=cfg.filename,
                   env_variables=cfg.env_variables)

    @property
    def pretty_text(self) -> str:
        plain = Config(self.to_dict(), format_python_code=False).pretty_text
        if plain in _LAID_OUT:
            _LAID_OUT.move_to_end(plain)
        else:
            _LAID_OUT[plain] = super().pretty_text
            while len(_LAID_OUT) > _KEEP:
                _LAID_OUT.popitem(last=False)
        return _LAID_OUT[plain]

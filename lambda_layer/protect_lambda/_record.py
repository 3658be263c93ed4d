"""Immutable value records without :mod:`dataclasses` (a cold-start saving).

``import dataclasses`` pulls in :mod:`inspect` (and with it ``ast``, ``dis``,
``tokenize``...), several milliseconds of a Lambda cold start that the Lambda
runtime has not paid already; and ``@dataclass`` generates its methods with
``exec`` at import. :class:`FrozenRecord` gives the records of the guard's hot
path (rules, matches, findings, verdicts, configuration) what they used from a
``@dataclass(frozen=True)``: positional or keyword construction (written out in
each subclass's ``__init__``), field-wise ``==`` and ``hash``, a readable
``repr``, pickling and copying, ``match`` support, and assignment raising
:class:`dataclasses.FrozenInstanceError` (imported only then).

Example:
    >>> class Point(FrozenRecord):
    ...     __slots__ = _fields = ("x", "y")
    ...     def __init__(self, x: int, y: int = 0) -> None:
    ...         _init(self, x, y)
    >>> Point(1) == Point(x=1, y=0), Point(1, 2)
    (True, Point(x=1, y=2))
    >>> Point(1).x = 3  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    dataclasses.FrozenInstanceError: cannot assign to field 'x'
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time (cold start); mypy reads the block
if TYPE_CHECKING:
    from typing import Any, ClassVar, NoReturn

_set = object.__setattr__


def _init(record: object, *values: Any) -> None:
    """Set the fields of ``record`` (in ``_fields`` order) at construction."""
    for name, value in zip(type(record)._fields, values):  # type: ignore[attr-defined]
        _set(record, name, value)


def _frozen(name: str) -> NoReturn:
    from dataclasses import FrozenInstanceError  # only on a programming error

    raise FrozenInstanceError(f"cannot assign to field {name!r}")


class FrozenRecord:
    """Base of an immutable record; a subclass lists its fields in ``__slots__`` and ``_fields``."""

    __slots__ = ()
    _fields: ClassVar[tuple[str, ...]] = ()

    def _values(self) -> tuple[Any, ...]:
        return tuple([getattr(self, name) for name in self._fields])

    def __setattr__(self, name: str, value: object) -> None:
        _frozen(name)

    def __delattr__(self, name: str) -> None:
        _frozen(name)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            assert isinstance(other, FrozenRecord)
            return self._values() == other._values()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__qualname__}({fields})"

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (type(self), self._values())

    def __copy__(self) -> FrozenRecord:
        return self

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        setattr(cls, "__match_args__", cls._fields)  # noqa: B010 (mypy rejects assigning it)

"""The wrapper loads the original handler once per cold start and stays out of its way."""

from __future__ import annotations

import traceback
from typing import Any, Callable

import pytest
from protect_lambda import contract, inspection, protected_handler, wrapper
from protect_lambda.config import GuardConfig
from protect_lambda.errors import GuardBlockedError, HandlerLoadError

from .conftest import XSS, LambdaContext, UserApp, apigw_http, printed_records

HANDLER_SOURCE = """
    CALLS = []
    IMPORTS = globals().setdefault("IMPORTS", 0) + 1
    RESULT = {"statusCode": 200, "body": "hello"}

    def handler(event, context):
        CALLS.append(event)
        return RESULT
"""


def test_loads_module_function_and_returns_the_same_result_object(
    user_app: UserApp,
    lambda_env: Callable[..., None],
    ctx: LambdaContext,
    capsys: pytest.CaptureFixture[str],
) -> None:
    module = user_app.write("app.py", HANDLER_SOURCE)
    lambda_env(**{contract.ORIGINAL_HANDLER_ENV: f"{module}.handler"})
    event = apigw_http("shoes")
    result = wrapper.handler(event, ctx)
    loaded = __import__(module, fromlist=["RESULT"])
    assert result is loaded.RESULT
    assert loaded.CALLS == [event] and loaded.CALLS[0] is event
    assert printed_records(capsys.readouterr().out) == []


def test_slash_path_handler_as_lambda_allows(
    user_app: UserApp, lambda_env: Callable[..., None], ctx: LambdaContext
) -> None:
    module = user_app.write("src/api/orders.py", HANDLER_SOURCE)
    slashed = module.replace(".", "/")  # userapp_x/src/api/orders
    lambda_env(**{contract.ORIGINAL_HANDLER_ENV: f"{slashed}.handler"})
    assert wrapper.handler({"ping": 1}, ctx) == {"statusCode": 200, "body": "hello"}


def test_handler_module_is_imported_once_per_cold_start_in_the_init_phase(
    user_app: UserApp, lambda_env: Callable[..., None], ctx: LambdaContext
) -> None:
    import sys

    module = user_app.write("app.py", HANDLER_SOURCE)
    lambda_env(**{contract.ORIGINAL_HANDLER_ENV: f"{module}.handler"})
    assert module in sys.modules  # loaded by the cold start, before any invocation
    loaded = sys.modules[module]
    for _ in range(3):
        wrapper.handler({"n": 1}, ctx)
    assert sys.modules[module] is loaded and loaded.IMPORTS == 1 and len(loaded.CALLS) == 3


def test_guard_is_built_once_per_cold_start(
    user_app: UserApp,
    lambda_env: Callable[..., None],
    ctx: LambdaContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built: list[object] = []
    real = wrapper.build_guard

    def counting(config: Any) -> Any:
        built.append(config)
        return real(config)

    monkeypatch.setattr(wrapper, "build_guard", counting)
    module = user_app.write("app.py", HANDLER_SOURCE)
    lambda_env(**{contract.ORIGINAL_HANDLER_ENV: f"{module}.handler"})
    for _ in range(3):
        wrapper.handler({"n": 1}, ctx)
    assert len(built) == 1


def test_missing_env_var_names_it(lambda_env: Callable[..., None], ctx: LambdaContext) -> None:
    lambda_env()
    with pytest.raises(HandlerLoadError, match=contract.ORIGINAL_HANDLER_ENV) as info:
        wrapper.handler({}, ctx)
    assert "module.function" in str(info.value)


@pytest.mark.parametrize(
    "name, fragment",
    [
        ("nodots", "is not of the form module.function"),
        ("no_such_module_xyz.handler", "cannot import module 'no_such_module_xyz'"),
        ("json.no_such_function", "has no attribute 'no_such_function'"),
        ("json.__doc__", "is not callable"),
        (contract.WRAPPER_HANDLER, "names the guard wrapper itself"),
    ],
)
def test_unloadable_handler_error_names_var_and_handler(
    name: str, fragment: str, lambda_env: Callable[..., None], ctx: LambdaContext
) -> None:
    lambda_env(**{contract.ORIGINAL_HANDLER_ENV: name})
    with pytest.raises(HandlerLoadError) as info:
        wrapper.handler({}, ctx)
    message = str(info.value)
    assert (
        contract.ORIGINAL_HANDLER_ENV in message and repr(name) in message and fragment in message
    )


def test_import_error_inside_user_module_is_chained(
    user_app: UserApp, lambda_env: Callable[..., None], ctx: LambdaContext
) -> None:
    module = user_app.write(
        "broken.py", "import not_installed_dependency_xyz\ndef handler(e, c): pass\n"
    )
    lambda_env(**{contract.ORIGINAL_HANDLER_ENV: f"{module}.handler"})
    with pytest.raises(HandlerLoadError, match="not_installed_dependency_xyz") as info:
        wrapper.handler({}, ctx)
    assert isinstance(info.value.__cause__, ModuleNotFoundError)


def test_load_failure_is_retried_on_next_invocation(
    user_app: UserApp, lambda_env: Callable[..., None], ctx: LambdaContext
) -> None:
    module = user_app.write("late.py", "x = 1\n")
    lambda_env(**{contract.ORIGINAL_HANDLER_ENV: f"{module}.handler"})
    with pytest.raises(HandlerLoadError):
        wrapper.handler({}, ctx)
    import importlib
    import sys

    user_app.write("late.py", "def handler(event, context):\n    return 'fixed'\n")
    sys.modules.pop(module, None)
    importlib.invalidate_caches()
    assert wrapper.handler({}, ctx) == "fixed"


class UserError(Exception):
    pass


def test_handler_exception_passes_through_untouched(
    user_app: UserApp, lambda_env: Callable[..., None], ctx: LambdaContext
) -> None:
    module = user_app.write(
        "raiser.py",
        """
        class Boom(Exception):
            pass

        ERROR = Boom("database down")

        def handler(event, context):
            raise ERROR
    """,
    )
    lambda_env(**{contract.ORIGINAL_HANDLER_ENV: f"{module}.handler"})
    loaded = __import__(module, fromlist=["ERROR"])
    with pytest.raises(Exception) as info:
        wrapper.handler(apigw_http("fine"), ctx)
    assert info.value is loaded.ERROR
    assert info.value.__cause__ is None and info.value.__context__ is None
    assert traceback.extract_tb(info.value.__traceback__)[-1].name == "handler"


def test_handler_exception_untouched_after_a_guard_failure(ctx: LambdaContext) -> None:
    """Fail open after a guard error: the handler runs outside any except block (no chaining)."""
    from .conftest import FailingGuard

    error = UserError("mine")

    def handler(event: Any, context: Any) -> Any:
        raise error

    protected = protected_handler.ProtectedHandler(
        handler, FailingGuard(RuntimeError("guard bug")), GuardConfig()
    )
    with pytest.raises(UserError) as info:
        protected({"x": 1}, ctx)
    assert info.value is error and info.value.__context__ is None


@pytest.mark.parametrize(
    "result", [None, "text", 0, [], {"statusCode": 200, "body": "ok"}, {"a": [1, {"b": None}]}]
)
def test_clean_invocation_returns_the_identical_object(
    result: Any, default_guard: inspection.GuardLike, ctx: LambdaContext
) -> None:
    protected = protected_handler.ProtectedHandler(lambda e, c: result, default_guard, GuardConfig())
    assert protected(apigw_http("running shoes"), ctx) is result
    assert protected({"anything": "goes"}, ctx) is result


def test_context_without_attributes_uses_the_runtime_environment(
    default_guard: inspection.GuardLike,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "from-env")
    protected = protected_handler.ProtectedHandler(lambda e, c: None, default_guard, GuardConfig())
    with pytest.raises(GuardBlockedError):
        protected({"comment": XSS}, object())
    record = printed_records(capsys.readouterr().out)[0]
    assert (
        record[contract.FIELD_FUNCTION_NAME] == "from-env"
        and record[contract.FIELD_REQUEST_ID] == ""
    )


def test_protected_handler_requires_guard_or_error() -> None:
    with pytest.raises(ValueError):
        protected_handler.ProtectedHandler(lambda e, c: None, None, GuardConfig())

"""The wrapper loads the original handler once per cold start and stays out of its way."""

from __future__ import annotations

import traceback
from typing import Any, Callable

import pytest
from protect_lambda import contract, inspection, protected_handler, wrapper
from protect_lambda.config import GuardConfig
from protect_lambda.errors import GuardBlockedError, HandlerLoadError

from .conftest import XSS, LambdaContext, UserApp, apigw_http, printed_findings, printed_records

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
    assert printed_findings(capsys.readouterr().out) == []


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


def test_missing_env_var_outside_lambda_is_reported_by_the_first_invocation(
    lambda_env: Callable[..., None], ctx: LambdaContext
) -> None:
    lambda_env()  # tools and tests import the wrapper without a handler to load
    with pytest.raises(HandlerLoadError, match=contract.ORIGINAL_HANDLER_ENV) as info:
        wrapper.handler({}, ctx)
    assert "module.function" in str(info.value)


def test_missing_env_var_in_lambda_fails_the_init_phase(lambda_env: Callable[..., None]) -> None:
    with pytest.raises(HandlerLoadError, match=contract.ORIGINAL_HANDLER_ENV):
        lambda_env(**{wrapper.RUNTIME_API_ENV: "127.0.0.1:9001"})


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
def test_unloadable_handler_fails_the_cold_start_naming_var_and_handler(
    name: str, fragment: str, lambda_env: Callable[..., None]
) -> None:
    """Like an unwrapped function: the init phase fails (the runtime posts an init error), not
    every invocation later. HandlerLoadError is an ImportError: Runtime.ImportModuleError."""
    with pytest.raises(HandlerLoadError) as info:
        lambda_env(**{contract.ORIGINAL_HANDLER_ENV: name})
    message = str(info.value)
    assert isinstance(info.value, ImportError)
    assert (
        contract.ORIGINAL_HANDLER_ENV in message and repr(name) in message and fragment in message
    )


def test_import_error_inside_user_module_is_chained(
    user_app: UserApp, lambda_env: Callable[..., None]
) -> None:
    module = user_app.write(
        "broken.py", "import not_installed_dependency_xyz\ndef handler(e, c): pass\n"
    )
    with pytest.raises(HandlerLoadError, match="not_installed_dependency_xyz") as info:
        lambda_env(**{contract.ORIGINAL_HANDLER_ENV: f"{module}.handler"})
    assert isinstance(info.value.__cause__, ModuleNotFoundError)


@pytest.mark.parametrize("source, error", [
    ("def handler(event, context)\n    return 1\n", SyntaxError),
    ("import os\nTABLE = os.environ['NO_SUCH_VARIABLE_XYZ']\ndef handler(e, c): pass\n", KeyError),
])
def test_an_error_of_the_user_module_propagates_unchanged(
    source: str, error: type[Exception], user_app: UserApp, lambda_env: Callable[..., None]
) -> None:
    """The runtime reports it as for the unwrapped handler (Runtime.UserCodeSyntaxError, KeyError)."""
    module = user_app.write("faulty.py", source)
    with pytest.raises(error) as info:
        lambda_env(**{contract.ORIGINAL_HANDLER_ENV: f"{module}.handler"})
    assert not isinstance(info.value, HandlerLoadError)


def test_a_failed_cold_start_is_retried_by_the_next_one(
    user_app: UserApp, lambda_env: Callable[..., None], ctx: LambdaContext
) -> None:
    module = user_app.write("late.py", "x = 1\n")
    with pytest.raises(HandlerLoadError):
        lambda_env(**{contract.ORIGINAL_HANDLER_ENV: f"{module}.handler"})
    import importlib
    import sys

    user_app.write("late.py", "def handler(event, context):\n    return 'fixed'\n")
    sys.modules.pop(module, None)
    importlib.invalidate_caches()
    wrapper.reset()  # Lambda runs the init phase again on the next invocation
    assert wrapper.handler({}, ctx) == "fixed"


def test_the_seal_is_out_of_the_environment_before_the_handler_loads(
    user_app: UserApp, lambda_env: Callable[..., None], ctx: LambdaContext,
    capsys: pytest.CaptureFixture[str],
) -> None:
    module = user_app.write("peek.py", """
        import os
        SEEN_AT_IMPORT = os.environ.get("PROTECT_LAMBDA_SEAL")

        def handler(event, context):
            return {"statusCode": 200, "body": str(os.environ.get("PROTECT_LAMBDA_SEAL"))}
    """)
    lambda_env(**{contract.ORIGINAL_HANDLER_ENV: f"{module}.handler", contract.SEAL_ENV: "5eal-0f-th1s-stack"})
    assert __import__(module, fromlist=["SEEN_AT_IMPORT"]).SEEN_AT_IMPORT is None
    assert wrapper.handler(apigw_http("hello"), ctx)["body"] == "None"
    wrapper.handler(apigw_http(XSS), ctx)
    assert [r[contract.FIELD_SEAL] for r in printed_records(capsys.readouterr().out)] == ["5eal-0f-th1s-stack"]


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
    record = printed_findings(capsys.readouterr().out)[0]
    assert (
        record[contract.FIELD_FUNCTION_NAME] == "from-env"
        and record[contract.FIELD_REQUEST_ID] == ""
    )


def test_protected_handler_requires_guard_or_error() -> None:
    with pytest.raises(ValueError):
        protected_handler.ProtectedHandler(lambda e, c: None, None, GuardConfig())

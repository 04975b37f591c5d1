from tests.support.stack_fixture import make_stack

__all__ = ["make_stack"]

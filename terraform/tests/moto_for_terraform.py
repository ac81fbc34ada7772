"""`python moto_for_terraform.py -H HOST -p PORT`: moto's server, plus the calls terraform's AWS
provider makes that moto 5.2.5's server does not route (it answers them with a 500, which
the provider retries until it gives up). Each is answered the way AWS answers for what these
stacks create:

- Step Functions `ValidateStateMachineDefinition` (called before every create): moto has
  the implementation, its own ASL parser, but no route to it. Answered with that parser, so a
  definition moto cannot parse still fails the apply.
- Step Functions `ListStateMachineVersions`: no versions are published here; none.
- Application Auto Scaling `ListTagsForResource`, `TagResource`, `UntagResource`: moto keeps
  no tags on scalable targets; none, and tagging is accepted.
"""

from __future__ import annotations

from typing import Any

from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse
from moto.core.responses import ActionResult
from moto.server import main
from moto.stepfunctions.parser.api import InvalidDefinition
from moto.stepfunctions.parser.models import StepFunctionsParserBackend
from moto.stepfunctions.responses import StepFunctionResponse


def validate_state_machine_definition(self: StepFunctionResponse) -> ActionResult:
    result: dict[str, Any] = {"result": "OK", "diagnostics": [], "truncated": False}
    try:
        StepFunctionsParserBackend._validate_definition(self._get_param("definition"))
    except InvalidDefinition as invalid:
        result["result"] = "FAIL"
        result["diagnostics"] = [
            {"severity": "ERROR", "code": "SCHEMA_VALIDATION_FAILED", "message": invalid.message}
        ]
    return ActionResult(result)


def answer(result: dict[str, Any]) -> Any:
    return lambda _self: ActionResult(result)


ROUTES: dict[type, dict[str, Any]] = {
    StepFunctionResponse: {
        "validate_state_machine_definition": validate_state_machine_definition,
        "list_state_machine_versions": answer({"stateMachineVersions": []}),
    },
    ApplicationAutoScalingResponse: {
        "list_tags_for_resource": answer({"Tags": {}}),
        "tag_resource": answer({}),
        "untag_resource": answer({}),
    },
}

if __name__ == "__main__":
    for response, actions in ROUTES.items():
        for action, handler in actions.items():
            setattr(response, action, handler)
    main()

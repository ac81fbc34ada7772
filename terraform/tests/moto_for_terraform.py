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

And one check moto makes that AWS does not: ECS `RegisterTaskDefinition` of an EC2 task whose
container names only `memoryReservation` (a soft limit, what the vLLM task uses). AWS takes
`memory`, `memoryReservation` or both when the task has no memory of its own (ECS developer
guide, container definitions); moto 5.2.5 asks EC2 containers for `memory` itself. Its other
container checks stay.
"""

from __future__ import annotations

from typing import Any

from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse
from moto.core.responses import ActionResult
from moto.ecs.models import EC2ContainerServiceBackend
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

moto_container_checks = EC2ContainerServiceBackend._validate_container_defs


def validate_container_defs(
    memory: str | None,
    container_definitions: list[dict[str, Any]],
    requires_compatibilities: list[str] | None,
) -> None:
    """moto's checks without its EC2-only one (AWS's rule is the one moto applies to all)."""
    moto_container_checks(memory, container_definitions, None)


if __name__ == "__main__":
    for response, actions in ROUTES.items():
        for action, handler in actions.items():
            setattr(response, action, handler)
    EC2ContainerServiceBackend._validate_container_defs = staticmethod(validate_container_defs)
    main()

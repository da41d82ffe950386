"""moto_server, with the stack events CloudFormation writes and moto does not.

moto creates a stack's resources synchronously and records only the stack's own events; a
resource that fails raises out of CreateStack, leaving the stack CREATE_IN_PROGRESS for ever. Here
each resource gets CREATE_IN_PROGRESS / CREATE_COMPLETE / CREATE_FAILED events (with moto's own
error as the reason), and a failed create or delete ends the way CloudFormation ends it:
ROLLBACK_IN_PROGRESS, the created resources deleted, ROLLBACK_COMPLETE; or DELETE_FAILED.
The resources themselves are moto's: what fails here fails in moto."""
import sys

from moto.cloudformation import models, parsing
from moto.cloudformation.models import Event, cloudformation_backends

_create_resource = parsing.parse_and_create_resource


def _stack_of(resources_map):
    for account in cloudformation_backends.values():
        for backend in account.values():
            stack = backend.stacks.get(resources_map.stack_id)
            if stack is not None:
                return stack
    return None


def _event(stack, logical_id, physical_id, resource_type, status, reason=None):
    stack.events.append(
        Event(
            stack_id=stack.stack_id,
            stack_name=stack.name,
            logical_resource_id=logical_id,
            physical_resource_id=physical_id or "",
            resource_type=resource_type,
            resource_status=status,
            resource_status_reason=reason,
            resource_properties=None,
        )
    )


def create_resource(logical_id, resource_json, resources_map, account_id, region_name):
    stack = _stack_of(resources_map)
    kind = resource_json.get("Type", "")
    if stack is not None and stack.status == "CREATE_IN_PROGRESS":
        _event(stack, logical_id, "", kind, "CREATE_IN_PROGRESS")
    try:
        resource = _create_resource(logical_id, resource_json, resources_map, account_id, region_name)
    except Exception as error:  # noqa: BLE001 - reported as CloudFormation reports it
        if stack is not None:
            reason = str(getattr(error, "message", None) or error) or type(error).__name__
            _event(stack, logical_id, "", kind, "CREATE_FAILED", reason)
        raise
    if stack is not None and stack.status == "CREATE_IN_PROGRESS" and resource is not None:
        _event(stack, logical_id, getattr(resource, "physical_resource_id", ""), kind, "CREATE_COMPLETE")
    return resource


parsing.parse_and_create_resource = create_resource

_create_resources = models.Stack.create_resources


def create_resources(self):
    try:
        _create_resources(self)
    except Exception:  # noqa: BLE001 - the failure is in the events
        self._add_stack_event("ROLLBACK_IN_PROGRESS", "The following resource(s) failed to create. Rollback requested by user.")
        try:
            self.resource_map.delete()
        except Exception:  # noqa: BLE001
            pass
        self.status = "ROLLBACK_COMPLETE"
        self._add_stack_event("ROLLBACK_COMPLETE")


models.Stack.create_resources = create_resources

_delete = models.Stack.delete


def delete(self):
    try:
        _delete(self)
    except Exception as error:  # noqa: BLE001
        for logical_id, resource in list(self.resource_map._parsed_resources.items()):
            kind = getattr(resource, "cf_resource_type", None)
            if kind:
                reason = str(getattr(error, "message", None) or error)
                _event(self, logical_id, getattr(resource, "physical_resource_id", ""), kind, "DELETE_FAILED", reason)
        self.status = "DELETE_FAILED"
        self._add_stack_event("DELETE_FAILED", "The following resource(s) failed to delete.")


models.Stack.delete = delete

def delete_stack(self, name_or_stack_id):
    """moto's, except that a stack whose delete failed stays, DELETE_FAILED, as in AWS."""
    stack = self.stacks.get(name_or_stack_id) or next((s for s in self.stacks.values() if s.name == name_or_stack_id), None)
    if stack is None:
        return
    stack.delete()
    if stack.status == "DELETE_FAILED":
        return
    self.stacks.pop(stack.stack_id, None)
    self.deleted_stacks[stack.stack_id] = stack
    for export in stack.exports:
        self.exports.pop(export.name, None)


models.CloudFormationBackend.delete_stack = delete_stack

if __name__ == "__main__":
    from moto.server import main

    sys.exit(main())

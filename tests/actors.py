"""Actors tests act as (issue 9): the local admin, or a named person with a role."""

from __future__ import annotations

from core.auth import Actor, Role, local_actor

ADMIN = local_actor()


def person(name: str, role: Role = Role.author) -> Actor:
    return Actor(email=name, role=role)

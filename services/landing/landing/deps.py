"""Dependency wiring for the routes: everything comes from ``app.state`` (built once,
in ``create_app``), so tests get the real objects through the same path."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from starlette.datastructures import FormData

from landing import repository
from landing.errors import PageNotFound
from landing.journeys import Journeys, Visitor
from landing.repository import PublishedPage
from landing.tokens import TokenSigner


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_journeys(request: Request) -> Journeys:
    journeys: Journeys = request.app.state.journeys
    return journeys


def get_signer(request: Request) -> TokenSigner:
    signer: TokenSigner = request.app.state.signer
    return signer


def get_templates(request: Request) -> Jinja2Templates:
    templates: Jinja2Templates = request.app.state.templates
    return templates


EngineDep = Annotated[Engine, Depends(get_engine)]
JourneysDep = Annotated[Journeys, Depends(get_journeys)]
SignerDep = Annotated[TokenSigner, Depends(get_signer)]
TemplatesDep = Annotated[Jinja2Templates, Depends(get_templates)]


def published_page(slug: str, engine: EngineDep) -> PublishedPage:
    """The page a candidate asks for; unknown and paused pages are not found."""
    with engine.connect() as conn:
        page = repository.find_published_page(conn, slug)
    if page is None:
        raise PageNotFound("Misschien is de vacature al vervuld of is de link niet compleet.")
    return page


def submittable_page(slug: str, engine: EngineDep) -> PublishedPage:
    """For form submissions and the thank-you page: a campaign paused while the
    candidate was typing still receives what they sent."""
    with engine.connect() as conn:
        page = repository.find_page_by_slug(conn, slug)
    if page is None:
        raise PageNotFound("Misschien is de vacature al vervuld of is de link niet compleet.")
    return page


PageDep = Annotated[PublishedPage, Depends(published_page)]
SubmittablePageDep = Annotated[PublishedPage, Depends(submittable_page)]


def get_visitor(request: Request) -> Visitor:
    client_ip = request.client.host if request.client else ""
    return Visitor(client_ip=client_ip, user_agent=request.headers.get("user-agent", "")[:512])


VisitorDep = Annotated[Visitor, Depends(get_visitor)]


async def read_form(request: Request) -> FormData:
    # Async so sync routes can still read fields whose names depend on the page (quiz).
    return await request.form()


FormDep = Annotated[FormData, Depends(read_form)]

"""Spend import routes: upload an ad-platform export, preview every row, confirm.

Console: ``/campaigns/{slug}/spend-imports`` (upload form and earlier imports) ->
``.../{import_id}`` (the preview: each row's result or error) -> ``.../{import_id}/confirm``.
API: the same under ``/api/v1/campaigns/{slug}/spend-imports``: uploading answers with the
preview, confirming is by id (the upload is stored, so it is not sent twice).

Every route loads the campaign and the import through the user's tenant (another
tenant's are not found: 404); uploading and confirming need the ``edit_campaigns``
permission (a viewer gets 403); the parsing and the confirm rules live in
``spend.parser`` and ``spend.service``, the routes only translate.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, File, Path, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel
from starlette.datastructures import UploadFile as StarletteUploadFile

from campaigns.catalog.deps import TenantCampaign
from campaigns.catalog.domain import Campaign
from campaigns.spend import repository as store
from campaigns.spend import service
from campaigns.spend.parser import (
    MAX_FILE_BYTES,
    PLATFORM_LABELS,
    SpendFileRejected,
    parse_spend_export,
)
from campaigns.spend.parser.errors import FileTooLarge
from campaigns.tenancy.deps import ApiEditor, ApiUser, ConsoleEditor, ConsoleUser, User
from campaigns.web.deps import EngineDep
from campaigns.web.flash import flash
from campaigns.web.i18n import N_
from campaigns.web.rendering import redirect, render
from koers.db import transaction
from koers.events import utcnow

console_router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api/v1", tags=["spend imports"])
router = APIRouter()

ImportId = Annotated[str, Path(min_length=1, max_length=64)]
PREVIEW_ROWS_SHOWN = 1000
DELIMITER_NAMES = {";": N_("semicolons"), ",": N_("commas"), "\t": N_("tabs")}
FILE_HINT = (
    "Choose the CSV file you exported from Meta Ads Manager, LinkedIn Campaign Manager, "
    "TikTok Ads Manager or Google Ads."
)


def _read_upload(upload: UploadFile | None) -> tuple[bytes, str]:
    """The upload's bytes (at most one byte past the limit) and its file name."""
    # FastAPI hands over Starlette's UploadFile (its own is a subclass, for the docs).
    if not isinstance(upload, StarletteUploadFile):
        raise SpendFileRejected("No file was uploaded. " + FILE_HINT)
    data = upload.file.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise FileTooLarge(
            f"The file is larger than {MAX_FILE_BYTES // 1_048_576} MB. Export a shorter "
            "period or fewer columns."
        )
    return data, (upload.filename or "upload.csv")[:255]


def _upload(engine: EngineDep, user: User, campaign: Campaign, upload: UploadFile | None) -> str:
    """Parse an upload and store it as a pending import; its id."""
    with engine.connect() as conn:
        creatives = service.creatives_of(conn, campaign)
    data, file_name = _read_upload(upload)
    parsed = parse_spend_export(data, creatives)  # before taking the write lock
    with transaction(engine) as conn:
        stored = service.preview_upload(
            conn,
            campaign=campaign,
            parsed=parsed,
            file_name=file_name,
            actor=user.actor,
            now=utcnow(),
        )
    return stored.id


# --- console ---------------------------------------------------------------------------


@console_router.get("/campaigns/{slug}/spend-imports", name="spend_import_form")
def spend_import_form(
    request: Request, slug: str, user: ConsoleUser, campaign: TenantCampaign, engine: EngineDep
) -> Response:
    """Upload an ad-platform export; earlier imports of the campaign."""
    with engine.connect() as conn:
        history = store.imports_of_campaign(conn, tenant_id=user.tenant_id, campaign_id=campaign.id)
    return _form_page(request, user, campaign, history)


def _form_page(
    request: Request,
    user: User,
    campaign: Campaign,
    history: list[store.StoredImport],
    *,
    problem: SpendFileRejected | None = None,
) -> Response:
    context = {
        "campaign": campaign,
        "history": history,
        "problem": problem,
        "platforms": list(PLATFORM_LABELS.values()),
        "max_mb": MAX_FILE_BYTES // 1_048_576,
        "can_import": user.can("edit_campaigns"),
    }
    status = problem.status if problem else 200
    return render(request, "import_upload.html", context, user=user, status_code=status)


@console_router.post("/campaigns/{slug}/spend-imports", name="spend_import_upload")
def spend_import_upload(
    request: Request,
    slug: str,
    user: ConsoleEditor,
    campaign: TenantCampaign,
    engine: EngineDep,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Read the uploaded export and show its preview (nothing is imported yet)."""
    try:
        import_id = _upload(engine, user, campaign, file)
    except SpendFileRejected as problem:
        with engine.connect() as conn:
            history = store.imports_of_campaign(
                conn, tenant_id=user.tenant_id, campaign_id=campaign.id
            )
        return _form_page(request, user, campaign, history, problem=problem)
    return redirect(request, "spend_import_preview", slug=slug, import_id=import_id)


@console_router.get("/campaigns/{slug}/spend-imports/{import_id}", name="spend_import_preview")
def spend_import_preview(
    request: Request,
    slug: str,
    import_id: ImportId,
    user: ConsoleUser,
    campaign: TenantCampaign,
    engine: EngineDep,
) -> Response:
    """Every row of an uploaded export with its result or error; confirm when all are fine."""
    with engine.connect() as conn:
        stored = service.find_import(conn, campaign=campaign, import_id=import_id)
    context = {
        "campaign": campaign,
        "imported": stored,
        "rows": stored.rows[:PREVIEW_ROWS_SHOWN],
        "hidden_rows": max(0, len(stored.rows) - PREVIEW_ROWS_SHOWN),
        "errors": [r for r in stored.rows if r.status == "error"][:PREVIEW_ROWS_SHOWN],
        "spend_total": sum((d.spend for d in stored.days), Decimal(0)),
        "delimiter_name": DELIMITER_NAMES.get(stored.facts.delimiter, stored.facts.delimiter),
        "can_import": user.can("edit_campaigns"),
    }
    return render(request, "import_preview.html", context, user=user)


@console_router.post(
    "/campaigns/{slug}/spend-imports/{import_id}/confirm", name="spend_import_confirm"
)
def spend_import_confirm(
    request: Request,
    slug: str,
    import_id: ImportId,
    user: ConsoleEditor,
    campaign: TenantCampaign,
    engine: EngineDep,
) -> Response:
    """Import a previewed file: its days replace what the platform reported before."""
    with transaction(engine) as conn:
        done = service.confirm_import(
            conn, campaign=campaign, import_id=import_id, actor=user.actor, now=utcnow()
        )
    flash(
        request, "Imported: %(count)s creative-days sent to the analysis.", count=len(done.events)
    )
    return redirect(request, "spend_import_preview", slug=slug, import_id=import_id)


# --- API -------------------------------------------------------------------------------


class ImportRowOut(BaseModel):
    line: int
    ad_name: str
    status: Literal["ok", "skipped", "error"]
    message: str
    first_day: date | None
    last_day: date | None
    spend: Decimal | None
    impressions: int | None
    clicks: int | None
    variant_id: str | None
    creative_name: str | None


class ImportDayOut(BaseModel):
    variant_id: str
    day: date
    spend: Decimal
    impressions: int
    clicks: int


class SpendImportSummaryOut(BaseModel):
    id: str
    status: Literal["pending", "confirmed"]
    platform: str
    platform_label: str
    language: str
    file_name: str
    row_count: int
    error_count: int
    first_day: date | None
    last_day: date | None
    importable: bool
    created_by: str
    created_at: datetime
    confirmed_at: datetime | None

    @classmethod
    def of(cls, stored: store.StoredImport) -> SpendImportSummaryOut:
        return cls(
            id=stored.id,
            status=stored.status,  # type: ignore[arg-type]  # the database checks it
            platform=stored.platform,
            platform_label=stored.facts.platform_label,
            language=stored.language,
            file_name=stored.file_name,
            row_count=stored.row_count,
            error_count=stored.error_count,
            first_day=stored.first_day,
            last_day=stored.last_day,
            importable=stored.importable,
            created_by=stored.created_by,
            created_at=stored.created_at,
            confirmed_at=stored.confirmed_at,
        )


class SpendImportOut(SpendImportSummaryOut):
    encoding: str
    delimiter: str
    decimal_separator: str
    header_line: int
    missing_figures: list[str]
    """Figures the export has no column for (``clicks``, ``impressions``): recorded as 0,
    and the click-based data-health checks cannot judge those days."""
    rows: list[ImportRowOut]
    days: list[ImportDayOut]

    @classmethod
    def full(cls, stored: store.StoredImport) -> SpendImportOut:
        return cls(
            **SpendImportSummaryOut.of(stored).model_dump(),
            encoding=stored.facts.encoding,
            delimiter=stored.facts.delimiter,
            decimal_separator=stored.facts.decimal_separator,
            header_line=stored.facts.header_line,
            missing_figures=list(stored.facts.missing_figures),
            rows=[ImportRowOut(**row.__dict__) for row in stored.rows],
            days=[ImportDayOut(**day.__dict__) for day in stored.days],
        )


class ConfirmationOut(BaseModel):
    spend_import: SpendImportOut
    events: int
    """How many SpendRecorded events (one per creative per day) went to the outbox."""


@api_router.get("/campaigns/{slug}/spend-imports", response_model=list[SpendImportSummaryOut])
def list_spend_imports(
    slug: str, user: ApiUser, campaign: TenantCampaign, engine: EngineDep
) -> list[SpendImportSummaryOut]:
    """The campaign's spend imports, newest first (the last 20)."""
    with engine.connect() as conn:
        history = store.imports_of_campaign(conn, tenant_id=user.tenant_id, campaign_id=campaign.id)
    return [SpendImportSummaryOut.of(s) for s in history]


@api_router.post("/campaigns/{slug}/spend-imports", response_model=SpendImportOut, status_code=201)
def upload_spend_import(
    slug: str,
    user: ApiEditor,
    campaign: TenantCampaign,
    engine: EngineDep,
    file: Annotated[UploadFile | None, File(description="The export, as CSV")] = None,
) -> SpendImportOut:
    """Upload an export (multipart field ``file``); answers with the preview of every row."""
    import_id = _upload(engine, user, campaign, file)
    with engine.connect() as conn:
        stored = service.find_import(conn, campaign=campaign, import_id=import_id)
    return SpendImportOut.full(stored)


@api_router.get("/campaigns/{slug}/spend-imports/{import_id}", response_model=SpendImportOut)
def get_spend_import(
    slug: str, import_id: ImportId, user: ApiUser, campaign: TenantCampaign, engine: EngineDep
) -> SpendImportOut:
    """One import with its preview: every row's result or error."""
    with engine.connect() as conn:
        stored = service.find_import(conn, campaign=campaign, import_id=import_id)
    return SpendImportOut.full(stored)


@api_router.post(
    "/campaigns/{slug}/spend-imports/{import_id}/confirm", response_model=ConfirmationOut
)
def confirm_spend_import(
    slug: str, import_id: ImportId, user: ApiEditor, campaign: TenantCampaign, engine: EngineDep
) -> ConfirmationOut:
    """Import a previewed upload, all rows or none; publishes SpendRecorded per creative-day."""
    with transaction(engine) as conn:
        done = service.confirm_import(
            conn, campaign=campaign, import_id=import_id, actor=user.actor, now=utcnow()
        )
    return ConfirmationOut(spend_import=SpendImportOut.full(done.stored), events=len(done.events))


router.include_router(console_router)
router.include_router(api_router)

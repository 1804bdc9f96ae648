"""The photos-and-files block shared by the note page and the client page."""

from __future__ import annotations

import reflex as rx

from pazpaz.components.forms import banner
from pazpaz.components.i18n import t
from pazpaz.components.theme import muted, section
from pazpaz.state.files import FilesState

UPLOAD_ID = "attachments"
ACCEPT = {"image/*": [], "application/pdf": [".pdf"]}


def _file(item: rx.Var) -> rx.Component:
    # A real link opened by the user's own click, in a new tab: the app tab stays (a window
    # opened later from a server event is a blocked popup, or replaces the tab on a phone).
    # /files/{id}/open checks the session, records the read and redirects to a fresh signed URL.
    return rx.vstack(
        rx.el.a(
            rx.cond(item["kind"] == "image",
                    rx.image(src=item["thumb"], alt="", width="120px", height="120px",
                             object_fit="cover", border_radius="var(--radius-2)"),
                    rx.box(rx.text("PDF", weight="bold"), width="120px", height="120px", display="flex",
                           align_items="center", justify_content="center", background="var(--gray-3)",
                           border_radius="var(--radius-2)")),
            href="/files/" + item["id"] + "/open",
            target="_blank",
            rel="noopener noreferrer",
            aria_label=t("Open {name} (new tab)", name=item["name"]),
            class_name="pz-file-link",
        ),
        rx.text(item["name"], size="1", max_width="120px", overflow_wrap="anywhere"),
        rx.button(t("Remove"), size="2", variant="soft", color_scheme="red",
                  on_click=FilesState.remove(item["id"]), aria_label=t("Remove {name}", name=item["name"])),
        spacing="1", align="center",
    )


def _removal_reason() -> rx.Component:
    """A finalized note's file leaves only with a reason (kept in the note's history)."""
    return rx.cond(
        FilesState.removing != "",
        rx.vstack(
            rx.el.label(t("Why remove {name}?", name=FilesState.removing_name), html_for="removal-reason"),
            rx.input(id="removal-reason", value=FilesState.removal_reason, on_change=FilesState.set_removal_reason,
                     width="100%", dir="auto", aria_describedby="removal-reason-error",
                     aria_invalid=rx.cond(FilesState.removal_error != "", "true", "false")),
            rx.text(FilesState.removal_error, id="removal-reason-error", size="2", color="var(--red-11)"),
            rx.hstack(rx.button(t("Remove file"), color_scheme="red", on_click=FilesState.confirm_remove),
                      rx.button(t("Keep the file"), variant="soft", on_click=FilesState.cancel_remove), spacing="2"),
            spacing="2", width="100%",
        ),
    )


def _label_file_input(component: rx.Component, label: rx.Var) -> rx.Component:
    """rx.upload renders its <input type=file> without a name: give it one for screen readers."""
    for child in component.children:
        if getattr(child, "type", None) is not None and str(child.type).strip('"\'') == "file":
            child.custom_attrs = {**child.custom_attrs, "aria-label": label}
        _label_file_input(child, label)
    return component


def files_block() -> rx.Component:
    return rx.cond(
        FilesState.visible,
        section(
            t("Photos and files"),
            _label_file_input(rx.upload(
                rx.vstack(
                    rx.button(rx.icon("paperclip", size=16, aria_hidden="true"), t("Add photo or PDF"), type="button",
                              size="3"),
                    muted(t("JPEG, PNG, WebP, HEIC or PDF, up to {mb} MB. On a phone you can take a photo.",
                            mb=FilesState.max_mb), size="1"),
                    align="center", spacing="1",
                ),
                id=UPLOAD_ID,
                accept=ACCEPT,
                multiple=True,
                on_drop=FilesState.upload(rx.upload_files_chunk(upload_id=UPLOAD_ID,
                                                                on_upload_progress=FilesState.upload_progress)),
                # Reflex's default answer to a refused drop is a toast; the app has none (no toaster).
                on_drop_rejected=FilesState.drop_rejected,
                border="1px dashed var(--gray-8)", padding="12px", border_radius="var(--radius-3)", width="100%",
            ), t("Add photo or PDF")),
            rx.cond(FilesState.uploading, rx.progress(value=FilesState.progress, width="100%",
                                                      aria_label=t("Upload progress"))),
            banner(FilesState.upload_error),
            _removal_reason(),
            rx.cond(FilesState.files.length() > 0,
                    rx.flex(rx.foreach(FilesState.files, _file), spacing="3", wrap="wrap", id="file-list"),
                    muted(t("No files yet."), id="file-list")),
        ),
    )

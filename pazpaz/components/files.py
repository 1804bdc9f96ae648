"""The photos-and-files block shared by the note page and the client page."""

from __future__ import annotations

import reflex as rx

from pazpaz.components.forms import banner
from pazpaz.state.files import FilesState

UPLOAD_ID = "attachments"
ACCEPT = {"image/*": [], "application/pdf": [".pdf"]}


def _file(item: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.button(
            rx.cond(item["kind"] == "image",
                    rx.image(src=item["thumb"], alt=item["name"], width="120px", height="120px",
                             object_fit="cover", border_radius="6px"),
                    rx.box(rx.text("PDF", weight="bold"), width="120px", height="120px", display="flex",
                           align_items="center", justify_content="center", background="var(--gray-3)",
                           border_radius="6px")),
            on_click=FilesState.open_file(item["id"]), variant="ghost", height="auto", padding="0",
            aria_label="Open " + item["name"],
        ),
        rx.text(item["name"], size="1", max_width="120px", overflow_wrap="anywhere"),
        rx.button("Remove", size="1", variant="ghost", color_scheme="red",
                  on_click=FilesState.remove(item["id"]), aria_label="Remove " + item["name"]),
        spacing="1", align="center",
    )


def files_block() -> rx.Component:
    return rx.cond(
        FilesState.visible,
        rx.card(
            rx.vstack(
                rx.heading("Photos and files", size="4", as_="h2"),
                rx.upload(
                    rx.vstack(
                        rx.button("Add photo or PDF", type="button", size="3"),
                        rx.text("JPEG, PNG, WebP, HEIC or PDF, up to ", FilesState.max_mb,
                                " MB. On a phone you can take a photo.", size="1", color="var(--gray-11)"),
                        align="center", spacing="1",
                    ),
                    id=UPLOAD_ID,
                    accept=ACCEPT,
                    multiple=True,
                    on_drop=FilesState.upload(rx.upload_files_chunk(upload_id=UPLOAD_ID,
                                                                    on_upload_progress=FilesState.upload_progress)),
                    border="1px dashed var(--gray-7)", padding="12px", border_radius="8px", width="100%",
                ),
                rx.cond(FilesState.uploading, rx.progress(value=FilesState.progress, width="100%",
                                                          aria_label="Upload progress")),
                banner(FilesState.upload_error),
                rx.flex(rx.foreach(FilesState.files, _file), spacing="3", wrap="wrap", id="file-list"),
                spacing="3", width="100%",
            ),
            width="100%",
        ),
    )

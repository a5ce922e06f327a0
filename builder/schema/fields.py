"""The one output contract: per config, the fields of an output row (their forms: builder.schema.forms).

A row is a plain dict keyed by these field names, with ClassLabel values as label strings and
timestamps as aware datetimes. The writer, the validator and the dataset card all derive from
`FIELDS`; nothing here reads or writes files.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from builder.scheme import Scheme

SCHEMA_VERSION = "1"
CONFIGS = ("documents", "ner", "attribution", "stance", "annotations", "raw")
DEFAULT_CONFIG = "documents"
SPLITS = ("train", "validation", "test")  # in this order everywhere: files, YAML, card


@dataclass(frozen=True, slots=True)
class Scalar:
    """A datasets `Value`; `enum` and `minimum` only tighten the JSON Schema and the card."""

    dtype: str  # a datasets Value dtype: string, int32, int64, float64, timestamp[us, tz=…]
    enum: tuple[str, ...] = ()
    minimum: int | None = None


@dataclass(frozen=True, slots=True)
class Label:
    """A ClassLabel whose names are the `Scheme` attribute `names`, in the scheme's order."""

    names: str  # entity_labels, attribution_types, stance_labels or bio_tags


@dataclass(frozen=True, slots=True)
class ListOf:
    """A variable-length list (datasets `List`, never `Sequence`)."""

    item: Spec


@dataclass(frozen=True, slots=True)
class Struct:
    """A struct; a named struct is rendered once in the card instead of field by field."""

    fields: tuple[Field, ...]
    name: str = ""
    description: str = ""


Spec = Union[Scalar, Label, ListOf, Struct]


@dataclass(frozen=True, slots=True)
class Field:
    """One named field of a row or struct. Non-nullable fields must never hold None."""

    name: str
    spec: Spec
    description: str
    nullable: bool = False


STRING = Scalar("string")
OFFSET = Scalar("int32", minimum=0)


def _span(what: str) -> Struct:
    return Struct(
        (
            Field("start", OFFSET, f"Code-point offset where the {what} starts in the document `text`."),
            Field("end", OFFSET, f"Code-point offset just after the {what} (exclusive)."),
            Field("text", STRING, f"The {what} as it appears, equal to `text[start:end]`."),
        ),
        name="span",
        description="struct{start: int32, end: int32, text: string}: code-point offsets into the document's "
        "`text` (documents config, same `doc_id`), end exclusive; `text` equals that slice.",
    )


_SOURCE_TYPE = (
    "Registry category of the source: `media`, `state-media`, `government`, `expert` or `other`; "
    "`unnamed` for an unnamed source (no source in the text, e.g. `ধারণা করা হচ্ছে`)."
)


def _attribution_fields(span_scope: str) -> tuple[Field, ...]:
    """Fields shared by documents.attributions[] and the attribution config."""
    return (
        Field("type", Label("attribution_types"), "Attribution type: `direct` (verbatim quote), `indirect` (reported speech) or `mixed`."),
        Field("source", _span("source mention"), f"Span naming the source in {span_scope}; null when the source is not mentioned in the text.", nullable=True),
        Field("source_id", STRING, "Registry id of the source (every named source is linked; the check refuses unlinked ones); null for an unnamed source.", nullable=True),
        Field("source_type", STRING, _SOURCE_TYPE),
        Field("cue", _span("cue"), "Span of the cue, the reporting verb or phrase (e.g. `জানিয়েছে`)."),
        Field("content", _span("content"), "Span of the attributed content."),
        Field("parent_id", STRING, "Id of the attribution this one is nested in (a quote inside a report); null at top level.", nullable=True),
        Field("depth", Scalar("int32", minimum=0), "Nesting depth: 0 at top level, the parent's depth + 1 otherwise."),
    )


_ANNOTATION_LAYERS = (
    Field(
        "entities",
        ListOf(
            Struct(
                (
                    Field("id", STRING, "Corpus-wide span id, `<doc_id>:<Label Studio region id>`."),
                    Field("start", OFFSET, "Code-point offset where the entity starts in `text`."),
                    Field("end", OFFSET, "Code-point offset just after the entity (exclusive)."),
                    Field("text", STRING, "The entity mention, equal to `text[start:end]`."),
                    Field("label", Label("entity_labels"), "Entity type."),
                    Field("entity_id", STRING, "Registry id the mention links to; null when it is not in the registry.", nullable=True),
                )
            )
        ),
        "Named-entity mentions in the document; [] when it has none.",
    ),
    Field(
        "attributions",
        ListOf(
            Struct(
                (
                    Field("id", STRING, "Corpus-wide attribution id, `<doc_id>:<region id of the CONTENT span>`."),
                    *_attribution_fields("`text`"),
                )
            )
        ),
        "Attributions (who said what): SOURCE, CUE and CONTENT spans with type and nesting; [] when none.",
    ),
    Field(
        "stances",
        ListOf(
            Struct(
                (
                    Field("holder_id", STRING, "Registry id of who holds the stance: the attribution's source (`unnamed` for an unnamed source), or the outlet for the article's own stance."),
                    Field("target", STRING, "Registry id of the stance target (one of the targets in the labeling config)."),
                    Field("label", Label("stance_labels"), "Stance toward the target (SemEval-2016 style)."),
                    Field("attribution_id", STRING, "Attribution whose content carries the stance; null for the article's own (document-level) stance.", nullable=True),
                )
            )
        ),
        "Stance judgements made in this document; [] when none.",
    ),
)
_PAGE_METADATA = (
    Field("title", STRING, "Headline as printed on the page; null when none was found.", nullable=True),
    Field(
        "published_at",
        Scalar("timestamp[us, tz=Asia/Dhaka]"),
        "Publication time given by the page (JSON-LD, then meta tags, then the visible text), timezone-aware in Asia/Dhaka time (UTC+06:00); null when the page shows none.",
        nullable=True,
    ),
    Field("updated_at", Scalar("timestamp[us, tz=Asia/Dhaka]"), "Last-modified time given by the page, as `published_at`; null when absent.", nullable=True),
    Field("authors", ListOf(STRING), "Authors as the page names them (JSON-LD, meta author, visible byline); [] when none."),
    Field("canonical_url", STRING, "Canonical URL declared by the page (JSON-LD url, og:url or link rel=canonical); null when absent.", nullable=True),
    Field("language", STRING, "Language the page declares (html lang, og:locale, content-language), as written; null when absent.", nullable=True),
    Field("agencies", ListOf(STRING), "Credited agencies as printed, in order of appearance (dateline agency, `সূত্র:` line, named wire services); [] when none."),
)
_DOCUMENTS = (
    Field("doc_id", STRING, "Stable document id (capture file stem); joins all configs."),
    Field("outlet", STRING, "Registry id of the outlet that published the page (e.g. `BSS`)."),
    Field("url", STRING, "URL of the captured page; null when the capture did not record one.", nullable=True),
    Field("capture_kind", Scalar("string", enum=("text", "html")), "How the page was captured: `text` (page text as copied) or `html` (saved page)."),
    *_PAGE_METADATA,
    Field("byline", STRING, "Author or desk line as printed (e.g. `আন্তর্জাতিক ডেস্ক`); null when absent.", nullable=True),
    Field("dateline", STRING, "Dateline as printed at the start of the story (place, date, agency); null when absent.", nullable=True),
    Field("credit", STRING, "Credit line removed from the text (e.g. `আমারসংবাদ/টিএইচ`); null when absent.", nullable=True),
    Field("source_line", STRING, "Source named in a `সূত্র:` line of the story, as printed; null when absent.", nullable=True),
    Field(
        "provenance",
        ListOf(STRING),
        "Annotated provenance chain as registry ids: outlet, then credited agencies, then the original source; [] when none was annotated.",
    ),
    Field("text", STRING, "Cleaned story text in Unicode NFC; every offset in this dataset counts code points in this string."),
    Field("text_sha256", STRING, "SHA-256 (lowercase hex) of `text` encoded as UTF-8, to check that offsets still fit the text."),
    *_ANNOTATION_LAYERS,
    Field(
        "gold_policy",
        Scalar("string", enum=("ground_truth", "reviewer", "single", "majority")),
        "How the gold was chosen among the document's annotations: a ground-truth annotation, a reviewer's, the only one, or a majority merge of several (see the card).",
    ),
    Field("annotation_ids", ListOf(Scalar("int64")), "Label Studio ids of the annotations the gold comes from (several for a majority merge)."),
    Field("annotators", ListOf(STRING), "Pseudonymous ids of the annotators of those annotations (see the `annotations` config)."),
)
_NER = (
    Field("id", STRING, "Corpus-wide sentence id, `<doc_id>:s<sentence_index, 4 digits>`."),
    Field("doc_id", STRING, "Document the sentence comes from (documents config)."),
    Field("sentence_index", Scalar("int32", minimum=0), "Position of the sentence in its document, counting from 0."),
    Field("start", OFFSET, "Code-point offset where the sentence starts in the document `text`."),
    Field("end", OFFSET, "Code-point offset just after the sentence (exclusive)."),
    Field("tokens", ListOf(STRING), "Tokens of the sentence, in order."),
    Field("token_starts", ListOf(OFFSET), "Code-point offset of each token in the document `text`, parallel to `tokens`."),
    Field("ner_tags", ListOf(Label("bio_tags")), "BIO entity tag of each token, parallel to `tokens`, derived from the document's entities."),
)
_ATTRIBUTION = (
    Field("id", STRING, "Corpus-wide attribution id, the same as `documents.attributions[].id`."),
    Field("doc_id", STRING, "Document the attribution comes from (documents config)."),
    Field("outlet", STRING, "Registry id of the outlet that published the document."),
    *_attribution_fields("the document `text`"),
    Field(
        "chain",
        ListOf(STRING),
        "Reporting chain as registry ids: the outlet and credited agencies, then the sources of enclosing attributions, outer first, ending with this source (`unnamed` for an unnamed source).",
    ),
)
_STANCE = (
    Field("id", STRING, "Corpus-wide stance id: `<attribution id>:<target>` for statements, `<doc_id>:document:<target>` for the article's own voice."),
    Field("doc_id", STRING, "Document the stance comes from (documents config)."),
    Field(
        "level",
        Scalar("string", enum=("statement", "document")),
        "`statement`: stance of an attributed source; `document`: stance of the article's own voice.",
    ),
    Field("holder_id", STRING, "Registry id of the stance holder: the source for statements (`unnamed` for an unnamed source), the outlet for documents."),
    Field("holder_type", STRING, "Category of the holder: a registry source type for statements (`unnamed` if unknown), `outlet` for documents."),
    Field("target", STRING, "Registry id of the stance target."),
    Field("target_bn", STRING, "Bengali name of the target from the registry."),
    Field("text", STRING, "Text the stance was judged on: the CONTENT span of the statement, or the whole story text for document-level rows."),
    Field("label", Label("stance_labels"), "Stance toward the target (SemEval-2016 style)."),
    Field("attribution_id", STRING, "Attribution whose CONTENT is `text` (see the attribution config); null for document-level rows.", nullable=True),
)
_ANNOTATIONS = (
    Field("id", STRING, "Corpus-wide id of the annotation row, `<doc_id>:annotation-<annotation_id>`."),
    Field("doc_id", STRING, "Document the annotation belongs to (documents config)."),
    Field("annotation_id", Scalar("int64"), "Label Studio annotation id, for tracing back to the export."),
    Field(
        "annotator",
        STRING,
        "Pseudonymous annotator id ('annotator-' + 10 hex digits of an HMAC-SHA256 of the Label Studio user under a secret key that is not released); stable across releases, not derivable from user ids or e-mails.",
    ),
    Field("annotated_at", Scalar("timestamp[us, tz=UTC]"), "When the annotation was last updated in Label Studio (UTC); null when the export has no time.", nullable=True),
    Field("lead_time", Scalar("float64"), "Seconds the annotator spent on the task, as recorded by Label Studio; null when not recorded.", nullable=True),
    Field("ground_truth", Scalar("bool"), "Whether the annotation is flagged as ground truth in Label Studio."),
    Field("in_gold", Scalar("bool"), "Whether the documents config's gold was taken from (or merged from) this annotation."),
    *_ANNOTATION_LAYERS,
    Field("provenance", ListOf(STRING), "This annotator's provenance chain (registry ids, outlet first)."),
)
_MAP_ENTRY = Struct(
    (
        Field("start", OFFSET, "Code-point offset in the cleaned `text` where the stretch starts."),
        Field("end", OFFSET, "Code-point offset just after the stretch (exclusive)."),
        Field("raw_start", Scalar("int64", minimum=0), "Byte offset in the raw file where the markup or line that produced the stretch starts."),
        Field("raw_end", Scalar("int64", minimum=0), "Byte offset just after it (exclusive)."),
    ),
    name="map entry",
    description="struct{start: int32, end: int32, raw_start: int64, raw_end: int64}: the stretch "
    "`text[start:end]` of the cleaned text came from bytes `raw_start:raw_end` of the raw file (`capture_file`); "
    "a title given in raw/sources.csv comes from no raw bytes and has no entry.",
)
_RAW = (
    Field("doc_id", STRING, "Stable document id; joins all configs."),
    Field("outlet", STRING, "Registry id of the outlet, from raw/sources.csv."),
    Field("url", STRING, "URL of the captured page, from raw/sources.csv; null when not recorded.", nullable=True),
    Field("capture_kind", Scalar("string", enum=("text", "html")), "How the page was captured: `text` or `html`."),
    Field("capture_file", STRING, "Path of the capture inside raw/ of the source repository."),
    Field("captured_at", STRING, "When the page was captured (ISO 8601 date or time, as recorded); null when unknown.", nullable=True),
    Field("rights", STRING, "Rights and licence note for the page, from raw/sources.csv."),
    Field("content_type", STRING, "Media type and charset the capture was read with, e.g. `text/html; charset=utf-8`.", nullable=True),
    Field("raw_sha256", STRING, "SHA-256 of the raw file's bytes: identifies the exact capture."),
    Field("raw_bytes", Scalar("int64", minimum=0), "Size of the raw file in bytes."),
    *_PAGE_METADATA,
    Field(
        "provenance_suggested",
        ListOf(STRING),
        "Provenance chain the page itself suggests: the outlet, then each credited agency that the registry knows, in order (registry ids); compare `documents.provenance`, the annotated chain.",
    ),
    Field("text_sha256", STRING, "SHA-256 of the cleaned text (UTF-8); equals `documents.text_sha256` for annotated documents."),
    Field("annotated", Scalar("bool"), "Whether the document has a usable annotation (and so rows in the other configs)."),
    Field(
        "map",
        ListOf(_MAP_ENTRY),
        "Provenance map: each paragraph of the cleaned text (title included, unless raw/sources.csv gives it) with the byte range of the raw file it came from, so any span can be shown in its original page.",
    ),
)
FIELDS: dict[str, tuple[Field, ...]] = {
    "documents": _DOCUMENTS,
    "ner": _NER,
    "attribution": _ATTRIBUTION,
    "stance": _STANCE,
    "annotations": _ANNOTATIONS,
    "raw": _RAW,
}


def fields(config: str) -> tuple[Field, ...]:
    """The fields of one config, in column order."""
    try:
        return FIELDS[config]
    except KeyError:
        raise ValueError(f"unknown config {config!r}; expected one of {CONFIGS}") from None


def label_names(label: Label, scheme: Scheme) -> tuple[str, ...]:
    return tuple(getattr(scheme, label.names))

"""SCORM 1.2 package: manifest at the root with the required elements, one local SCO."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import lxml.html

from core.db import session_scope
from core.exporters import export_course
from tests.export_checks import unzip
from tests.factories import make_course

CP = "{http://www.imsproject.org/xsd/imscp_rootv1p1p2}"
ADLCP = "{http://www.adlnet.org/xsd/adlcp_rootv1p2}"


def _package(db: str) -> dict[str, bytes]:
    with session_scope(db) as session:
        course_id = make_course(session, modules=2, lessons=2, language="ru", title='Курс <&> "данные"')
    with session_scope(db) as session:
        data, name, mime = export_course(session, course_id, "scorm", "minimal")
    assert name.endswith(".scorm12.zip") and mime == "application/zip"
    return unzip(data)


def test_manifest_has_the_required_scorm_12_elements(db: str) -> None:
    files = _package(db)
    assert "imsmanifest.xml" in files
    root = ET.fromstring(files["imsmanifest.xml"])
    assert root.tag == f"{CP}manifest" and root.get("identifier")
    assert root.find(f"{CP}metadata/{CP}schema").text == "ADL SCORM"
    assert root.find(f"{CP}metadata/{CP}schemaversion").text == "1.2"
    organizations = root.find(f"{CP}organizations")
    (organization,) = organizations.findall(f"{CP}organization")
    assert organizations.get("default") == organization.get("identifier")
    assert organization.find(f"{CP}title").text == 'Курс <&> "данные"'
    (item,) = organization.findall(f"{CP}item")
    (resource,) = root.findall(f"{CP}resources/{CP}resource")
    assert item.get("identifierref") == resource.get("identifier")
    assert resource.get(f"{ADLCP}scormtype") == "sco" and resource.get("type") == "webcontent"
    assert resource.get("href") == "index.html" and "index.html" in files
    listed = {f.get("href") for f in resource.findall(f"{CP}file")}
    assert listed == set(files) - {"imsmanifest.xml"}


def test_sco_uses_only_local_scripts_and_marks_the_last_lesson(db: str) -> None:
    files = _package(db)
    for name, data in files.items():
        if not name.endswith(".html"):
            continue
        root = lxml.html.fromstring(data)
        for script in root.xpath("//script"):
            src = script.get("src")
            assert src and "//" not in src and not (script.text or "").strip(), name
            folder = name.rsplit("/", 1)[0] + "/" if "/" in name else ""
            assert f"{folder}{src}" in files
        assert not root.xpath("//link[starts-with(@href, 'http')]")
    last = [n for n, d in files.items() if n.endswith(".html") and b'data-last="true"' in d]
    assert last == ["course/lesson-02-02.html"]
    sco = files["sco.js"].decode()
    for call in (
        "LMSInitialize",
        "LMSSetValue",
        "cmi.core.lesson_status",
        "completed",
        "LMSCommit",
        "LMSFinish",
    ):
        assert call in sco
    assert "http" not in sco and "eval(" not in sco

"""Builds the chunk texts of the filter development set (documents.jsonl), as a run would extract them.

    .venv/bin/python benchmarks/filter_set/build_documents.py

Real PDFs: the shared corpus and PDF manuals from Debian packages (r-doc-pdf, auto-multiple-choice-doc-pdf,
libtasn1-doc, shared-mime-info), a few pages each. The kinds of document no package ships (invoices,
minutes, statistics tables, filled forms, business documents in French and Chinese) are made here as
PDFs from HTML with PyMuPDF and read back through the same text layer, so their tables come out the
way the pipeline sees tables (often one cell a line). documents.jsonl is committed: the pairs refer to it
and the benchmark needs neither the PDFs nor the Debian packages.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import pymupdf  # noqa: E402

from docmatix.pipeline.extract.page_text import text_layer  # noqa: E402
from docmatix.pipeline.s3_chunk import PAGE_SEPARATOR  # noqa: E402
from docmatix.sample.corpus import sample_corpus_dir  # noqa: E402

HERE = Path(__file__).resolve().parent
DEBIAN = Path("/usr/share/doc")

# key -> (path, zero-based pages, what it is)
REAL: dict[str, tuple[str, list[int], str]] = {
    "crazyones": ("corpus:021-pdfa/crazyones-pdfa.pdf", [0], "essay (advertising text)"),
    "zen": ("corpus:011-google-doc-document/google-doc-document.pdf", [0], "short document"),
    "printing": ("corpus:004-pdflatex-4-pages/pdflatex-4-pages.pdf", [0, 1], "filler report"),
    "geotopo": ("corpus:009-pdflatex-geotopo/GeoTopo-komprimiert.pdf", [9, 10], "German mathematics textbook"),
    "multicolumn": ("corpus:026-latex-multicolumn/multicolumn.pdf", [0], "two-column paper"),
    "lo-form": ("corpus:012-libreoffice-form/libreoffice-form.pdf", [0], "empty form"),
    "overlay": ("corpus:013-reportlab-overlay/reportlab-overlay.pdf", [0], "signature block"),
    "outline": ("corpus:006-pdflatex-outline/pdflatex-outline.pdf", [0, 1], "table of contents"),
    "r-intro": ("r-doc-pdf/manual/R-intro.pdf", [22, 23], "manual: R introduction"),
    "r-data": ("r-doc-pdf/manual/R-data.pdf", [15, 16], "manual: R data import"),
    "r-admin": ("r-doc-pdf/manual/R-admin.pdf", [17], "manual: R installation"),
    "r-faq": ("r-doc-pdf/manual/R-FAQ.pdf", [10, 11], "FAQ"),
    "r-lang": ("r-doc-pdf/manual/R-lang.pdf", [19], "language reference"),
    "r-exts": ("r-doc-pdf/manual/R-exts.pdf", [43], "manual: R extensions"),
    "refman": ("r-doc-pdf/manual/refman.pdf", [56], "function reference"),
    "amc-en": ("auto-multiple-choice/auto-multiple-choice.en.pdf", [22, 23], "software manual"),
    "amc-fr": ("auto-multiple-choice/auto-multiple-choice.fr.pdf", [22, 23], "software manual (French)"),
    "amc-ja": ("auto-multiple-choice/auto-multiple-choice.ja.pdf", [6], "software manual (Japanese)"),
    "amc-sty": ("auto-multiple-choice/latex/automultiplechoice.pdf", [15], "LaTeX package manual"),
    "libtasn1": ("libtasn1-doc/libtasn1.pdf", [8], "library manual"),
    "mime-spec": ("shared-mime-info/shared-mime-info-spec.pdf", [3], "specification"),
}

_CSS = "body {font-family: sans-serif; font-size: 10pt} td, th {padding: 2px 6px} h1 {font-size: 14pt}"

MADE: dict[str, tuple[str, str]] = {
    "invoice": ("invoice", """
<h1>INVOICE</h1>
<p>Northwind Office Supplies GmbH<br>Hafenstrasse 12, 20457 Hamburg, Germany<br>VAT ID: DE 284 519 773</p>
<p>Bill to: Larkspur Design Studio, 48 Mill Lane, Bristol BS1 5DL, United Kingdom</p>
<p>Invoice number: NW-2023-0418<br>Invoice date: 14 April 2023<br>Due date: 14 May 2023<br>
Customer number: C-10392<br>Order reference: PO 7781</p>
<table>
<tr><th>Item</th><th>Description</th><th>Qty</th><th>Unit price</th><th>Amount</th></tr>
<tr><td>1</td><td>A4 copy paper, 80 g/m2, box of 5 reams</td><td>12</td><td>24.90</td><td>298.80</td></tr>
<tr><td>2</td><td>Ballpoint pens, blue, pack of 50</td><td>4</td><td>17.50</td><td>70.00</td></tr>
<tr><td>3</td><td>Lever arch files, 75 mm</td><td>30</td><td>2.35</td><td>70.50</td></tr>
<tr><td>4</td><td>Desk organiser, bamboo</td><td>6</td><td>18.90</td><td>113.40</td></tr>
<tr><td>5</td><td>Whiteboard markers, assorted, set of 8</td><td>10</td><td>9.80</td><td>98.00</td></tr>
</table>
<p>Subtotal: EUR 650.70<br>Shipping: EUR 25.00<br>VAT (19%): EUR 128.38<br>Total due: EUR 804.08</p>
<p>Payment terms: 30 days net. 2% discount if paid within 10 days.<br>
Bank: Hamburger Sparkasse, IBAN DE89 2005 0550 1234 5678 90, BIC HASPDEHHXXX</p>
<p>Questions about this invoice: accounts@northwind-office.de or +49 40 555 0192</p>
"""),
    "minutes": ("meeting minutes", """
<h1>Minutes of the Board Meeting</h1>
<p>Riverside Community Housing Association<br>Held on Tuesday 7 November 2023 at 18:30, Room 2, Civic Centre</p>
<p>Present: Margaret Okafor (Chair), David Lindqvist (Treasurer), Priya Raman (Secretary), Tom Bell,
Helen Zhou. Apologies: Samuel Ortiz. In attendance: Claire Dubois (Housing Manager).</p>
<p>1. Minutes of the previous meeting. The minutes of 3 October 2023 were approved as a correct record,
proposed by Tom Bell and seconded by Helen Zhou.</p>
<p>2. Treasurer's report. David Lindqvist reported that rent arrears had fallen from 4.8% to 3.9% of the
annual rent roll since June. Reserves stand at 412,000 pounds. The auditors, Gray and Partners, will begin
the annual audit on 15 January 2024.</p>
<p>3. Repairs programme. Claire Dubois reported that 37 of the 52 planned kitchen replacements are complete.
The remaining 15 are delayed by a supplier shortage and are expected by the end of February 2024. The board
agreed to extend the contract with Hallam Builders by three months at no extra cost.</p>
<p>4. Tenant survey. 61% of tenants responded; 78% said they were satisfied with the repairs service, down
from 84% last year. Priya Raman will circulate the full results before the next meeting.</p>
<p>5. Any other business. Helen Zhou proposed a tenants' open day in spring. Agreed in principle; the
Housing Manager will report on costs in January.</p>
<p>Actions: DL to present the draft 2024 budget (December meeting). CD to report on open-day costs (January).
PR to circulate survey results (by 30 November).</p>
<p>Next meeting: Tuesday 5 December 2023 at 18:30. The meeting closed at 20:10.</p>
"""),
    "stats": ("statistics table", """
<h1>Table 3.2 Labour market indicators by region, 2020-2022</h1>
<p>Persons aged 15-64. Unemployment rate in percent of the labour force; employment in thousands.</p>
<table>
<tr><th>Region</th><th>Employment 2020</th><th>Employment 2022</th><th>Unemployment 2020</th><th>Unemployment 2021</th><th>Unemployment 2022</th></tr>
<tr><td>North Coast</td><td>1,245</td><td>1,302</td><td>7.9</td><td>7.1</td><td>6.2</td></tr>
<tr><td>Central Valley</td><td>2,118</td><td>2,164</td><td>5.4</td><td>5.0</td><td>4.6</td></tr>
<tr><td>Eastern Highlands</td><td>684</td><td>671</td><td>9.8</td><td>10.3</td><td>10.1</td></tr>
<tr><td>Southern Plains</td><td>1,530</td><td>1,597</td><td>6.6</td><td>6.1</td><td>5.7</td></tr>
<tr><td>Capital District</td><td>3,402</td><td>3,561</td><td>4.3</td><td>4.0</td><td>3.5</td></tr>
<tr><td>Total</td><td>8,979</td><td>9,295</td><td>5.9</td><td>5.6</td><td>5.0</td></tr>
</table>
<p>Source: Labour Force Survey, annual averages. Figures for 2022 are provisional. The Eastern Highlands
series was revised in 2021 following a change in the sampling frame. Totals may not add up because of
rounding.</p>
<p>Employment grew in four of the five regions between 2020 and 2022, by 3.5% overall. The decline in the
Eastern Highlands reflects the closure of two mining operations in 2021.</p>
"""),
    "form": ("filled application form", """
<h1>Application for a Residential Parking Permit</h1>
<p>City of Westbrook - Parking Services</p>
<table>
<tr><td>Applicant name</td><td>Jonathan R. Mbeki</td></tr>
<tr><td>Address</td><td>22 Sycamore Road, Flat 3, Westbrook WB4 7QT</td></tr>
<tr><td>Telephone</td><td>07700 900461</td></tr>
<tr><td>Email</td><td>j.mbeki@examplemail.com</td></tr>
<tr><td>Permit zone</td><td>Zone C (Sycamore / Elm)</td></tr>
<tr><td>Vehicle registration</td><td>KX19 TFE</td></tr>
<tr><td>Vehicle make and model</td><td>Toyota Yaris Hybrid</td></tr>
<tr><td>Permit type</td><td>Annual resident permit</td></tr>
<tr><td>Start date</td><td>01/09/2024</td></tr>
<tr><td>Fee paid</td><td>GBP 95.00 (low-emission band B)</td></tr>
<tr><td>Proof of address</td><td>Council tax bill dated 12/06/2024</td></tr>
<tr><td>Proof of vehicle ownership</td><td>V5C registration certificate</td></tr>
</table>
<p>Declaration: I confirm that the information above is correct and that I will display the permit
clearly. Permits are not transferable. Signed: J. R. Mbeki. Date: 19/08/2024</p>
<p>For office use: Application ref. WPS-24-08813. Approved by: L. Carver. Permit no. C-55127.</p>
"""),
    "rapport-fr": ("rapport annuel (French)", """
<h1>Rapport d'activité 2022 - Bibliothèque municipale de Saint-Aubin</h1>
<p>En 2022, la bibliothèque a accueilli 48 250 visiteurs, soit une hausse de 23 % par rapport à 2021,
année encore marquée par les restrictions sanitaires. Le nombre d'inscrits actifs atteint 6 140, dont
1 920 enfants de moins de 14 ans.</p>
<table>
<tr><th>Indicateur</th><th>2021</th><th>2022</th></tr>
<tr><td>Prêts de documents</td><td>71 400</td><td>86 900</td></tr>
<tr><td>Prêts de livres numériques</td><td>5 210</td><td>6 480</td></tr>
<tr><td>Animations organisées</td><td>64</td><td>112</td></tr>
<tr><td>Heures d'ouverture hebdomadaires</td><td>32</td><td>36</td></tr>
</table>
<p>Le budget de fonctionnement s'est élevé à 412 000 euros, dont 58 000 euros consacrés à l'achat de
documents. Une subvention de 15 000 euros de la Direction régionale des affaires culturelles a financé
l'équipement de l'espace numérique, ouvert le 3 octobre 2022.</p>
<p>La directrice, Mme Élise Garnier, souligne la réussite du portage de livres à domicile, qui touche
désormais 85 personnes âgées. Pour 2023, la bibliothèque prévoit l'ouverture le dimanche matin et le
renouvellement du fonds de bandes dessinées.</p>
"""),
    "courrier-fr": ("lettre administrative (French)", """
<p>Caisse d'allocations familiales du Rhône<br>67 boulevard Vivier-Merle, 69409 Lyon Cedex 03</p>
<p>Madame Sophie Lambert<br>14 rue des Tanneurs<br>69007 Lyon</p>
<p>Lyon, le 9 mars 2023<br>Dossier n° 4471 209 B</p>
<p>Objet : révision de votre aide personnalisée au logement</p>
<p>Madame,</p>
<p>Suite à la mise à jour de vos ressources pour l'année 2021, le montant de votre aide personnalisée au
logement (APL) est révisé à compter du 1er avril 2023. Il passe de 231,40 euros à 198,75 euros par mois.
Cette aide est versée directement à votre bailleur, la société Habitat Rhône Sud.</p>
<p>Si vous contestez cette décision, vous pouvez former un recours amiable auprès de la commission de
recours amiable dans un délai de deux mois à compter de la réception de ce courrier.</p>
<p>Vous pouvez nous joindre au 32 30 (service gratuit + prix de l'appel), du lundi au vendredi de 9 h à
16 h, ou depuis votre espace personnel sur le site caf.fr.</p>
<p>Veuillez agréer, Madame, l'expression de nos salutations distinguées.</p>
<p>Le directeur, Paul Martinez</p>
"""),
    "notice-zh": ("notice (Chinese)", """
<h1>关于2024年春季学期选课安排的通知</h1>
<p>各学院、全体本科生：</p>
<p>根据学校教学工作安排，2024年春季学期本科生选课工作定于1月8日至1月19日进行。现将有关事项通知如下：</p>
<p>一、选课时间：第一轮选课为1月8日9:00至1月12日17:00，第二轮选课为1月15日9:00至1月19日17:00。</p>
<p>二、学分要求：每名学生本学期选课总学分不得少于15学分，不得超过28学分。毕业班学生可申请放宽至32学分。</p>
<p>三、选课方式：学生登录教务管理系统进行网上选课。体育课程限选一门，每门课程容量为40人。</p>
<p>四、退补选：开学第一周（2月26日至3月1日）为退补选时间，逾期不再办理。</p>
<p>五、联系方式：教务处学籍科，电话010-62751234，办公地点为行政楼305室。</p>
<p>教务处<br>2023年12月20日</p>
"""),
}


def real_text(path: str, pages: list[int]) -> str:
    full = sample_corpus_dir() / path.removeprefix("corpus:") if path.startswith("corpus:") else DEBIAN / path
    with pymupdf.open(full) as pdf:
        return PAGE_SEPARATOR.join(text_layer(pdf[i]) for i in pages)


def made_text(html: str) -> str:
    story = pymupdf.Story(html=html, user_css=_CSS)
    buffer = pymupdf.io.BytesIO() if hasattr(pymupdf, "io") else __import__("io").BytesIO()
    writer = pymupdf.DocumentWriter(buffer)
    more = True
    while more:
        device = writer.begin_page(pymupdf.paper_rect("a4"))
        more, _ = story.place(pymupdf.paper_rect("a4") + (50, 50, -50, -50))
        story.draw(device)
        writer.end_page()
    writer.close()
    with pymupdf.open("pdf", buffer.getvalue()) as pdf:
        return PAGE_SEPARATOR.join(text_layer(page) for page in pdf)


def main() -> None:
    rows = [{"key": k, "origin": "real", "path": p, "what": what, "text": real_text(p, pages)}
            for k, (p, pages, what) in REAL.items()]
    rows += [{"key": k, "origin": "made", "path": None, "what": what, "text": made_text(html)}
             for k, (what, html) in MADE.items()]
    with open(HERE / "documents.jsonl", "w") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(rows)} documents, {sum(len(r['text'].split()) for r in rows)} words -> {HERE / 'documents.jsonl'}")


if __name__ == "__main__":
    main()

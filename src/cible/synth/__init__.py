"""A deterministic synthetic e-commerce world with planted ground truth.

:func:`generate_world` writes, for ``n_customers`` true customers (1,000 to 1,000,000) and a seed,
two years of activity (2024-07-01 to 2026-06-30; the natural ``as_of`` is 2026-07-01) in four
files, with about 57 order lines and web events per customer on average:

``customers.csv``
    French CRM export, ``;``-separated, UTF-8 with BOM. Columns ``client_id`` (``C0000001``...),
    ``civilite`` (``Mme``/``M.``/empty), ``prenom``, ``nom`` (accents kept), ``email``
    (``prenom.nom<n>@example.com``, a few capitalised or space-padded), ``telephone`` (``06 12 34 56
    78``, ``+33612345678``, ``0612345678`` or ``06.12.34.56.78``), ``date_naissance``
    (dd/mm/yyyy), ``ville``, ``code_postal`` (5 digits as text), ``pays``, ``date_creation``
    (dd/mm/yyyy, before the account's first event), ``optin_email``/``optin_sms``/``optin_push``
    (``oui``/``non``). About 5% of ``telephone``, 3% of ``date_naissance`` and 4% of ``ville`` are
    empty.
``orders.csv``
    ``,``-separated order lines: ``order_id,line_no,customer_id,order_date,sku,category,quantity,
    unit_price,status,channel,device``; ``order_date`` is ``YYYY-MM-DD HH:MM:SS`` UTC,
    ``unit_price`` has two decimals, ``status`` is ``completed`` for a purchased line and
    ``returned`` for a returned one (same order, line, SKU, quantity and price, dated on the return
    day), ``device`` is empty in store.
``web_events.jsonl``
    One JSON object per line: ``id``, ``user``, ``type`` (``page_view``, ``product_view``,
    ``cart_add``, ``email_open``, ``email_click``), ``ts`` (ISO 8601, ``Z``), ``channel``
    (``web``, ``app``, ``email``), ``device``, ``product`` and ``category`` (or ``null``).
``truth.csv``
    ``customer_id,persona,duplicate_of`` for every true customer and every duplicate account.

Planted ground truth:

* **Personas** (:data:`PERSONAS`, shares): Champions 10%, Loyal regulars 18%, Big-ticket
  occasionals 10%, Bargain hunters 14%, Serial returners 10%, Lapsed 14%, New customers 10%,
  Window shoppers 14%. Every true customer has at least one purchase. On the nine behavioural
  features (recency, frequency, monetary, average basket, tenure, mean inter-purchase time, refund
  rate, events in the last 30 and 90 days), log1p + z-scores + k-means++ with k chosen by the
  silhouette finds k = 8 and an adjusted Rand index near 0.96 against the personas.
* **Duplicates**: 3% of the customers have a second account (numbered after all true customers)
  with a typo in a name, the phone in another format or the e-mail in capitals; it has no order,
  only a few ``email_open`` events, and ``truth.csv`` gives its ``duplicate_of``.
* **Malformed rows**, about 0.2% of each file, added on top of the real rows and belonging to no
  true customer's history: CRM rows with an empty ``client_id``, an impossible ``date_creation``
  or one field too many; order lines with quantity ``two`` or ``1,5``, a negative ``unit_price``,
  an impossible ``order_date`` or no ``customer_id``; JSON lines that are truncated, of type
  ``pageview??``, or without a ``user``.

The same seed always gives byte-identical files. Customers are generated in chunks of 25,000
appended to the files, so memory stays flat (about 0.8 GiB of peak RSS for 1,000,000 customers).
"""

from cible.synth.generate import GenerateSummary, generate_world
from cible.synth.personas import AS_OF, PERSONAS, Persona

__all__ = ["AS_OF", "PERSONAS", "GenerateSummary", "Persona", "generate_world"]

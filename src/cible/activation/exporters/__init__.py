"""Where audiences go: files (CSV, Parquet), a signed webhook, and connectors shaped like the
HubSpot lists API and the Salesforce Marketing Cloud data-extension API. Each takes the
records of one export (:class:`~cible.activation.exporters.records.ExportBatch`)."""

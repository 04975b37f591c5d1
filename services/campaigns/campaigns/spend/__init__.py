"""Ad-platform spend: uploading an export, previewing every row, confirming the import."""

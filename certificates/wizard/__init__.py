"""The 금융인증서 issuance wizard: its steps (``steps``), state (``flow``), guard, forms and views."""

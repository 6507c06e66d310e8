"""Prompts per model: a prompt's intent, its contract and one messages template per model.

What it is: the prompt file format (``prompts/NAME.yaml``), its content hash, the choice of a
variant for a model (exact model, else family, else default) and the rendering of ``{{variable}}``
placeholders (``modelswap.prompts.registry``); the store keeps the versions, labels and variant
statuses (``modelswap.store``). What it is not: the gateway applying a prompt to a request, the
prompt matrix or the search for a better variant: none of those exist yet.
"""

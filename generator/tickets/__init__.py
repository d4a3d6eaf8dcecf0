"""Tickets follow the work procedure: the lifecycle (forms/_lifecycle.yaml), the moves a form or a
person makes, who is responsible, and the promised times."""

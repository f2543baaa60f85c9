"""The Docker-free local stack: moto server, embedded PostgreSQL, in-process Lambdas, all read from template.yaml."""

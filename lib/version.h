/* The suite's version, set by the Makefile. */
#ifndef VERSION_H
#define VERSION_H
#ifndef SENTRY_TG_VERSION
#define SENTRY_TG_VERSION "0.0.0"
#endif
#endif

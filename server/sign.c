/* server/sign.c -- --sign: DNSKEY, NSEC or NSEC3 chain and RRSIGs for the served zones, built
   from the zone store's own wire data (canonical RRsets, RFC 4034 §6). The bulk signatures
   (ECDSA P-256/SHA-256) are made with OpenSSL's libcrypto (random nonces: fast, not
   byte-reproducible); with --sign-reproducible, and for the fault actions' re-signing, with
   libdnssec (RFC 6979 deterministic nonces: the same keys, data and time give the same
   bytes). Keys: libdnssec's PKCS #8 key store in --key-dir (reused), else made at start in a
   private temporary store and kept in memory only; OpenSSL loads the same PEM. */
#include "server/sign.h"
#include "server/dnssec.h"
#include "server/zone_int.h"
#include "server/msg.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ldns/ldns.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <libdnssec/binary.h>
#include <libdnssec/crypto.h>
#include <libdnssec/error.h>
#include <libdnssec/key.h>
#include <libdnssec/keystore.h>
#include <libdnssec/nsec.h>
#include <libdnssec/sign.h>

#define TYPE_NSEC3PARAM 51
#define ALG_ECDSAP256   13
#define FLAGS_KSK       257
#define FLAGS_ZSK       256
#define HASH_LEN        20

/* The keys of one zone. */
struct zkeys {
	uint8_t origin[256];    /* zone origin, lower-cased wire form */
	size_t olen;            /* bytes of origin */
	dnssec_key_t *ksk;      /* key-signing key (flags 257), private part loaded; owned */
	dnssec_key_t *zsk;      /* zone-signing key (flags 256), private part loaded; owned */
	bool signed_now;        /* the last signer_sign signed the zone with these keys */
	dnssec_binary_t pem[2]; /* PKCS #8 PEM of the KSK and the ZSK (OpenSSL, second signing
	                           thread); owned, size 0 when unknown */
	dnssec_key_t *rk[2];    /* copies of the KSK and ZSK for signer_resign (the event loop's
	                           own, made on first use from pem); owned, NULL until then */
};

struct signer {
	char *key_dir;        /* --key-dir; owned, NULL: keys in memory only */
	bool nsec3;           /* --nsec3 */
	uint8_t **skip;       /* --unsigned origins, lower-cased wire; owned */
	size_t *skiplen;      /* their lengths; owned */
	size_t nskip;         /* entries in skip */
	struct zkeys *keys;   /* keys made or loaded so far; owned */
	size_t nkeys;         /* entries in keys */
	bool reproducible;    /* --sign-reproducible: sign with libdnssec (RFC 6979) */
	pthread_mutex_t lock; /* guards keys/nkeys against signer_resign on the event loop while
	                         a build thread adds keys (realloc moves the array) */
};

/* ---- keys ----------------------------------------------------------------------------- */

struct signer *
signer_new(const char *key_dir, bool nsec3, char *err, size_t errlen)
{
	struct signer *sg = calloc(1, sizeof(*sg));

	if (sg == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	dnssec_crypto_init();
	pthread_mutex_init(&sg->lock, NULL);
	sg->nsec3 = nsec3;
	if (key_dir != NULL) {
		if (mkdir(key_dir, 0700) != 0 && errno != EEXIST) {
			snprintf(err, errlen, "--key-dir %s: %s", key_dir, strerror(errno));
			free(sg);
			return NULL;
		}
		sg->key_dir = strdup(key_dir);
		if (sg->key_dir == NULL) {
			snprintf(err, errlen, "out of memory");
			free(sg);
			return NULL;
		}
	}
	return sg;
}

void
signer_free(struct signer *sg)
{
	if (sg == NULL)
		return;
	for (size_t i = 0; i < sg->nkeys; i++) {
		dnssec_key_free(sg->keys[i].ksk);
		dnssec_key_free(sg->keys[i].zsk);
		dnssec_binary_free(&sg->keys[i].pem[0]);
		dnssec_binary_free(&sg->keys[i].pem[1]);
		dnssec_key_free(sg->keys[i].rk[0]);
		dnssec_key_free(sg->keys[i].rk[1]);
	}
	for (size_t i = 0; i < sg->nskip; i++)
		free(sg->skip[i]);
	free(sg->skip);
	free(sg->skiplen);
	free(sg->keys);
	free(sg->key_dir);
	pthread_mutex_destroy(&sg->lock);
	free(sg);
}

/* Presentation name to lower-cased wire; 0 on error. */
static size_t
name_wire(const char *str, uint8_t *out)
{
	ldns_rdf *r = ldns_dname_new_frm_str(str);
	size_t len;

	if (r == NULL)
		return 0;
	len = ldns_rdf_size(r);
	if (len > 255) {
		ldns_rdf_deep_free(r);
		return 0;
	}
	memcpy(out, ldns_rdf_data(r), len);
	ldns_rdf_deep_free(r);
	zone_name_lower(out, len, out);
	return len;
}

void
signer_set_reproducible(struct signer *sg, bool on)
{
	sg->reproducible = on;
}

int
signer_skip(struct signer *sg, const char *origin)
{
	uint8_t w[256];
	size_t len = name_wire(origin, w);
	uint8_t **ns;
	size_t *nl;

	if (len == 0)
		return -1;
	ns = realloc(sg->skip, (sg->nskip + 1) * sizeof(*ns));
	if (ns == NULL)
		return -1;
	sg->skip = ns;
	nl = realloc(sg->skiplen, (sg->nskip + 1) * sizeof(*nl));
	if (nl == NULL)
		return -1;
	sg->skiplen = nl;
	sg->skip[sg->nskip] = malloc(len);
	if (sg->skip[sg->nskip] == NULL)
		return -1;
	memcpy(sg->skip[sg->nskip], w, len);
	sg->skiplen[sg->nskip++] = len;
	return 0;
}

static bool
skipped(const struct signer *sg, const uint8_t *origin, size_t olen)
{
	for (size_t i = 0; i < sg->nskip; i++)
		if (sg->skiplen[i] == olen && memcmp(sg->skip[i], origin, olen) == 0)
			return true;
	return false;
}

/* A private key of the store into a DNSSEC key for origin. */
static int
key_load(dnssec_keystore_t *ks, const char *id, const uint8_t *origin, uint16_t flags,
         dnssec_key_t **out)
{
	dnssec_key_t *k = NULL;

	if (dnssec_key_new(&k) != DNSSEC_EOK)
		return -1;
	if (dnssec_key_set_algorithm(k, ALG_ECDSAP256) != DNSSEC_EOK ||
	    dnssec_keystore_get_private(ks, id, k) != DNSSEC_EOK ||
	    dnssec_key_set_dname(k, origin) != DNSSEC_EOK ||
	    dnssec_key_set_flags(k, flags) != DNSSEC_EOK) {
		dnssec_key_free(k);
		return -1;
	}
	*out = k;
	return 0;
}

/* The file naming the key ids of a zone in the key directory. */
static void
ids_path(const struct signer *sg, const char *origin, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s%s", sg->key_dir, strcmp(origin, ".") == 0 ? "root." : origin,
	         "keys");
}

/* The PEM file of key id in the PKCS #8 store dir (libdnssec names it <id>.pem); size 0 when
   it cannot be read. */
static void
read_pem(const char *dir, const char *id, dnssec_binary_t *out)
{
	char path[4400];
	FILE *fp;
	long n;

	out->size = 0;
	out->data = NULL;
	snprintf(path, sizeof(path), "%s/%s.pem", dir, id);
	if ((fp = fopen(path, "r")) == NULL)
		return;
	if (fseek(fp, 0, SEEK_END) == 0 && (n = ftell(fp)) > 0 && n < 65536 &&
	    fseek(fp, 0, SEEK_SET) == 0 && (out->data = malloc((size_t)n)) != NULL) {
		if (fread(out->data, 1, (size_t)n, fp) == (size_t)n) {
			out->size = (size_t)n;
		} else {
			free(out->data);
			out->data = NULL;
		}
	}
	fclose(fp);
}

/* Keys of the zone origin: already made, read from --key-dir, or made now. */
static struct zkeys *
zone_keys(struct signer *sg, const uint8_t *origin, size_t olen, const char *ostr, struct diag *d)
{
	dnssec_keystore_t *ks = NULL;
	char dir[4096], path[4200], kid[2][128] = {"", ""};
	char *gen[2] = {NULL, NULL};
	bool temp = sg->key_dir == NULL;
	struct zkeys *zk, *nk;
	FILE *fp;
	int rc = -1;

	for (size_t i = 0; i < sg->nkeys; i++)
		if (sg->keys[i].olen == olen && memcmp(sg->keys[i].origin, origin, olen) == 0)
			return &sg->keys[i];
	pthread_mutex_lock(&sg->lock);
	nk = realloc(sg->keys, (sg->nkeys + 1) * sizeof(*nk));
	if (nk != NULL)
		sg->keys = nk;
	pthread_mutex_unlock(&sg->lock);
	if (nk == NULL)
		return NULL;
	zk = &sg->keys[sg->nkeys];
	memset(zk, 0, sizeof(*zk));
	memcpy(zk->origin, origin, olen);
	zk->olen = olen;
	if (temp) {
		const char *t = getenv("TMPDIR");
		snprintf(dir, sizeof(dir), "%s/mxlabd-keys-XXXXXX", t && t[0] ? t : "/tmp");
		if (mkdtemp(dir) == NULL) {
			diag_add(d, DIAG_ERROR, NULL, 0, NULL, "key store: %s", strerror(errno));
			return NULL;
		}
	} else {
		snprintf(dir, sizeof(dir), "%s", sg->key_dir);
		ids_path(sg, ostr, path, sizeof(path));
		if ((fp = fopen(path, "r")) != NULL) {
			char line[256];
			while (fgets(line, sizeof(line), fp)) {
				char role[8], id[128];
				if (sscanf(line, "%7s %127s", role, id) != 2)
					continue;
				if (strcmp(role, "ksk") == 0)
					snprintf(kid[0], sizeof(kid[0]), "%s", id);
				else if (strcmp(role, "zsk") == 0)
					snprintf(kid[1], sizeof(kid[1]), "%s", id);
			}
			fclose(fp);
		}
	}
	if (dnssec_keystore_init_pkcs8(&ks) != DNSSEC_EOK)
		goto out;
	if (dnssec_keystore_open(ks, dir) != DNSSEC_EOK &&
	    (dnssec_keystore_init(ks, dir) != DNSSEC_EOK ||
	     dnssec_keystore_open(ks, dir) != DNSSEC_EOK)) {
		diag_add(d, DIAG_ERROR, NULL, 0, NULL, "key store %s cannot be opened", dir);
		goto out;
	}
	for (int i = 0; i < 2; i++) {
		if (kid[i][0])
			continue;
		if (dnssec_keystore_generate(ks, DNSSEC_KEY_ALGORITHM_ECDSA_P256_SHA256, 256, NULL,
		                             &gen[i]) != DNSSEC_EOK) {
			diag_add(d, DIAG_ERROR, NULL, 0, NULL, "%s: cannot make a key", ostr);
			goto out;
		}
		snprintf(kid[i], sizeof(kid[i]), "%s", gen[i]);
	}
	for (int i = 0; i < 2; i++)
		read_pem(dir, kid[i], &zk->pem[i]);
	if (key_load(ks, kid[0], origin, FLAGS_KSK, &zk->ksk) != 0 ||
	    key_load(ks, kid[1], origin, FLAGS_ZSK, &zk->zsk) != 0) {
		diag_add(d, DIAG_ERROR, NULL, 0, NULL, "%s: keys %s/%s not usable in %s", ostr,
		         kid[0], kid[1], dir);
		goto out;
	}
	if (!temp && (gen[0] || gen[1])) {
		if ((fp = fopen(path, "w")) == NULL) {
			diag_add(d, DIAG_ERROR, path, 0, NULL, "%s", strerror(errno));
			goto out;
		}
		fprintf(fp, "ksk %s\nzsk %s\n", kid[0], kid[1]);
		fclose(fp);
	}
	rc = 0;
out:
	if (ks != NULL) {
		if (temp)
			for (int i = 0; i < 2; i++)
				if (gen[i])
					dnssec_keystore_remove(ks, gen[i]);
		dnssec_keystore_close(ks);
		dnssec_keystore_deinit(ks);
	}
	if (temp)
		rmdir(dir);
	free(gen[0]);
	free(gen[1]);
	if (rc != 0) {
		dnssec_key_free(zk->ksk);
		dnssec_key_free(zk->zsk);
		dnssec_binary_free(&zk->pem[0]);
		dnssec_binary_free(&zk->pem[1]);
		return NULL;
	}
	pthread_mutex_lock(&sg->lock);
	sg->nkeys++;
	pthread_mutex_unlock(&sg->lock);
	return zk;
}

/* ---- canonical RRsets and signatures ----------------------------------------------------- */

struct rdref {
	const uint8_t *rd; /* rdata (canonical: names in it are lower-cased by the store) */
	uint16_t len;      /* its length */
};

static int
rdref_cmp(const void *x, const void *y)
{
	const struct rdref *a = x, *b = y;
	size_t n = a->len < b->len ? a->len : b->len;
	int r = memcmp(a->rd, b->rd, n);
	return r ? r : (a->len > b->len) - (a->len < b->len);
}

/* Signatures are made in batches: the RRsets to sign are queued (stored ones by reference,
   generated ones copied), signed by two threads taking chunks of the batch in turn when the
   batch is big enough (each with its own copy of the keys: a key object is not shared
   between threads), then appended to the zone in queue order, so the records come in the
   same order whatever the threads did (and with --sign-reproducible the same bytes). */
#define SIGN_BATCH        4096 /* RRsets per batch */
#define SIGN_MIN_PARALLEL 512  /* a smaller batch is signed by one thread */
#define SIGN_CHUNK        64   /* jobs a signing thread takes at a time */
#define SIG_MAX           128  /* bytes of one signature (64 for ECDSA P-256) */

/* One RRset to sign. */
struct sjob {
	uint8_t owner[256];     /* owner, lower-cased wire */
	uint8_t olen;           /* bytes of owner (0 for the root is impossible: >= 1) */
	bool ksk;               /* sign with the KSK (the DNSKEY RRset) */
	uint16_t type;          /* type covered */
	uint32_t ttl;           /* TTL of the RRset (original TTL) */
	const struct rrset *rs; /* stored RRset, NULL: the generated records in gen */
	uint8_t *gen;           /* generated rdata back to back; owned */
	uint16_t genlen[2];     /* their lengths */
	uint8_t ngen;           /* generated records (1, or 2 for the DNSKEY RRset) */
	uint8_t sig[SIG_MAX];   /* the signature once made */
	uint8_t siglen;         /* its length, 0 when signing failed */
};

/* What one signing thread owns. */
struct worker {
	dnssec_sign_ctx_t *kctx; /* --sign-reproducible: signing with the KSK; owned */
	dnssec_sign_ctx_t *zctx; /* --sign-reproducible: signing with the ZSK; owned */
	EVP_PKEY *pkey[2];       /* fast: this thread's ZSK [0] and KSK [1]; owned */
	EVP_PKEY_CTX *pctx[2];   /* fast: signing with pkey[0] and pkey[1]; owned */
	EVP_MD_CTX *md;          /* fast: the SHA-256 of the data to sign; owned */
	EVP_MD *sha256;          /* fast: SHA-256, fetched once; owned */
	struct rdref *refs;      /* scratch for the records of one RRset; owned */
	size_t caprefs;          /* entries allocated in refs */
	uint8_t *buf;            /* scratch for the data signed (RRSIG rdata, records); owned */
	size_t capbuf;           /* bytes allocated in buf */
	struct sctx *c;          /* the zone being signed; not owned */
};

/* What signing one zone needs. */
struct sctx {
	struct zoneset *zs;    /* the set (records are appended to zone z) */
	size_t z;              /* zone being signed */
	const uint8_t *apex;   /* its origin, wire */
	size_t apexlen;        /* bytes of apex */
	uint32_t inception;    /* RRSIG inception */
	uint32_t expiration;   /* RRSIG expiration */
	uint16_t ktag;         /* KSK key tag */
	uint16_t ztag;         /* ZSK key tag */
	struct worker w[2];    /* signing threads (w[1] unused when nworkers is 1) */
	int nworkers;          /* 1 or 2 */
	bool fast;             /* sign with OpenSSL (else libdnssec, reproducibly) */
	dnssec_key_t *copy[2]; /* KSK and ZSK loaded again for the second thread; owned */
	struct sjob *jobs;     /* the batch; owned */
	size_t njobs;          /* jobs queued */
	size_t next;           /* next job of the batch a thread takes (atomic while signing) */
	size_t sigs;           /* signatures made */
};

static inline void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static unsigned
rrsig_labels(const uint8_t *owner, size_t olen)
{
	unsigned n = 0;
	for (size_t p = 0; p < olen && owner[p]; p += (size_t)owner[p] + 1)
		n++;
	if (owner[0] == 1 && owner[1] == '*')
		n--;
	return n;
}

/* The RRSIG rdata of job j without the signature into rr; returns its length. */
static size_t
rrsig_prefix(const struct sctx *c, const struct sjob *j, uint8_t *rr)
{
	size_t p = 0;
	uint16_t tag = j->ksk ? c->ktag : c->ztag;

	rr[p++] = (uint8_t)(j->type >> 8);
	rr[p++] = (uint8_t)j->type;
	rr[p++] = ALG_ECDSAP256;
	rr[p++] = (uint8_t)rrsig_labels(j->owner, j->olen);
	put32(rr + p, j->ttl);
	put32(rr + p + 4, c->expiration);
	put32(rr + p + 8, c->inception);
	p += 12;
	rr[p++] = (uint8_t)(tag >> 8);
	rr[p++] = (uint8_t)tag;
	memcpy(rr + p, c->apex, c->apexlen);
	return p + c->apexlen;
}

/* ECDSA P-256/SHA-256 signature of data with OpenSSL into out as RFC 6605 wants it (r and
   s, 32 bytes each); returns 64, 0 on failure. */
static size_t
fast_sign(struct worker *w, bool ksk, const uint8_t *data, size_t len, uint8_t *out)
{
	uint8_t md[EVP_MAX_MD_SIZE], der[128];
	unsigned mdlen = 0;
	size_t derlen = sizeof(der);
	const unsigned char *q = der;
	const BIGNUM *r, *s;
	ECDSA_SIG *es;
	size_t n = 0;

	if (EVP_DigestInit_ex(w->md, w->sha256, NULL) != 1 ||
	    EVP_DigestUpdate(w->md, data, len) != 1 || EVP_DigestFinal_ex(w->md, md, &mdlen) != 1 ||
	    EVP_PKEY_sign(w->pctx[ksk], der, &derlen, md, mdlen) != 1)
		return 0;
	es = d2i_ECDSA_SIG(NULL, &q, (long)derlen);
	if (es == NULL)
		return 0;
	ECDSA_SIG_get0(es, &r, &s);
	if (BN_bn2binpad(r, out, 32) == 32 && BN_bn2binpad(s, out + 32, 32) == 32)
		n = 64;
	ECDSA_SIG_free(es);
	return n;
}

/* Sign job j with worker w's contexts (RFC 4034 §3.1.8.1: the RRSIG rdata, then the
   canonical records in canonical order, built in w->buf and signed at once). */
static void
sign_job(struct worker *w, struct sjob *j)
{
	size_t n = j->rs ? j->rs->count : j->ngen, p, need = 18 + 255;
	uint8_t hdr[8];

	j->siglen = 0;
	if (n > w->caprefs) {
		struct rdref *nr = realloc(w->refs, n * sizeof(*nr));
		if (nr == NULL)
			return;
		w->refs = nr;
		w->caprefs = n;
	}
	if (j->rs) {
		const uint8_t *r = zone_rrset_first(j->rs);
		for (size_t i = 0; i < n; i++) {
			uint16_t rdlen = zone_rr_rdlen(r);
			w->refs[i].rd = zone_rr_rdata(w->c->zs, j->rs, r);
			w->refs[i].len = rdlen;
			r = zone_rr_next(j->rs, r);
			need += j->olen + 10 + (size_t)rdlen;
		}
	} else {
		for (size_t i = 0, off = 0; i < n; off += j->genlen[i], i++) {
			w->refs[i].rd = j->gen + off;
			w->refs[i].len = j->genlen[i];
			need += j->olen + 10 + (size_t)j->genlen[i];
		}
	}
	if (n > 1)
		qsort(w->refs, n, sizeof(*w->refs), rdref_cmp);
	if (need > w->capbuf) {
		size_t cap = need > 4096 ? need : 4096;
		uint8_t *nb = realloc(w->buf, cap);
		if (nb == NULL)
			return;
		w->buf = nb;
		w->capbuf = cap;
	}
	p = rrsig_prefix(w->c, j, w->buf);
	hdr[0] = (uint8_t)(j->type >> 8);
	hdr[1] = (uint8_t)j->type;
	hdr[2] = 0;
	hdr[3] = CLASS_IN;
	put32(hdr + 4, j->ttl);
	for (size_t i = 0; i < n; i++) {
		uint8_t *o;
		if (i > 0 && rdref_cmp(&w->refs[i], &w->refs[i - 1]) == 0)
			continue; /* RFC 4034 §6.3: duplicates count once */
		o = w->buf + p;
		memcpy(o, j->owner, j->olen);
		o += j->olen;
		memcpy(o, hdr, sizeof(hdr));
		o[8] = (uint8_t)(w->refs[i].len >> 8);
		o[9] = (uint8_t)w->refs[i].len;
		memcpy(o + 10, w->refs[i].rd, w->refs[i].len);
		p += j->olen + 10 + (size_t)w->refs[i].len;
	}
	if (w->c->fast) {
		j->siglen = (uint8_t)fast_sign(w, j->ksk, w->buf, p, j->sig);
	} else {
		dnssec_sign_ctx_t *ctx = j->ksk ? w->kctx : w->zctx;
		dnssec_binary_t bin = {.size = p, .data = w->buf}, sig = {0};
		if (dnssec_sign_init(ctx) == DNSSEC_EOK &&
		    dnssec_sign_add(ctx, &bin) == DNSSEC_EOK &&
		    dnssec_sign_write(ctx, DNSSEC_SIGN_REPRODUCIBLE, &sig) == DNSSEC_EOK &&
		    sig.size <= SIG_MAX) {
			memcpy(j->sig, sig.data, sig.size);
			j->siglen = (uint8_t)sig.size;
		}
		dnssec_binary_free(&sig);
	}
}

static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	struct sctx *c = w->c;

	/* chunks taken in turn, so a thread the machine slows down leaves its share to the
	   other one instead of making it wait at the join */
	for (;;) {
		size_t i = __atomic_fetch_add(&c->next, SIGN_CHUNK, __ATOMIC_RELAXED);
		size_t end = i + SIGN_CHUNK < c->njobs ? i + SIGN_CHUNK : c->njobs;
		if (i >= c->njobs)
			break;
		for (; i < end; i++)
			sign_job(w, &c->jobs[i]);
	}
	return NULL;
}

/* Sign the queued jobs and append their RRSIGs to the zone in queue order. */
static int
flush(struct sctx *c)
{
	uint8_t rr[18 + 255 + SIG_MAX];
	pthread_t th;
	bool threaded = c->nworkers == 2 && c->njobs >= SIGN_MIN_PARALLEL;
	int rc = 0;

	c->next = 0;
	if (threaded && pthread_create(&th, NULL, worker_run, &c->w[1]) != 0)
		threaded = false;
	worker_run(&c->w[0]);
	if (threaded)
		pthread_join(th, NULL);
	for (size_t i = 0; i < c->njobs; i++) {
		struct sjob *j = &c->jobs[i];
		size_t p = rrsig_prefix(c, j, rr);
		if (j->siglen == 0 && rc == 0)
			rc = -1;
		memcpy(rr + p, j->sig, j->siglen);
		if (rc == 0 && zone_append_rr(c->zs, c->z, j->owner, j->olen, TYPE_RRSIG, j->ttl,
		                              rr, p + j->siglen) != 0)
			rc = -1;
		free(j->gen);
		j->gen = NULL;
		c->sigs++;
	}
	c->njobs = 0;
	return rc;
}

/* The next free job, after signing the batch when it is full; NULL on error. */
static struct sjob *
job_new(struct sctx *c, const uint8_t *owner, size_t olen, uint16_t type, uint32_t ttl)
{
	struct sjob *j;

	if (c->njobs == SIGN_BATCH && flush(c) != 0)
		return NULL;
	j = &c->jobs[c->njobs++];
	memcpy(j->owner, owner, olen);
	j->olen = (uint8_t)olen;
	j->type = type;
	j->ttl = ttl;
	j->ksk = false;
	j->rs = NULL;
	j->gen = NULL;
	j->ngen = 0;
	j->siglen = 0;
	return j;
}

/* Queue a stored RRset. */
static int
sign_stored(struct sctx *c, const uint8_t *owner, size_t olen, const struct rrset *rs)
{
	uint32_t ttl = zone_rr_ttl(zone_rrset_first(rs));
	struct sjob *j = job_new(c, owner, olen, rs->type, ttl);

	if (j == NULL)
		return -1;
	j->rs = rs;
	return 0;
}

/* Queue a generated RRset of one or two records (copied). */
static int
sign_gen(struct sctx *c, const uint8_t *owner, size_t olen, uint16_t type, uint32_t ttl,
         const struct rdref *refs, size_t n, bool ksk)
{
	struct sjob *j = job_new(c, owner, olen, type, ttl);
	size_t total = 0;

	if (j == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		total += refs[i].len;
	j->gen = malloc(total ? total : 1);
	if (j->gen == NULL)
		return -1;
	for (size_t i = 0, off = 0; i < n; off += refs[i].len, i++) {
		memcpy(j->gen + off, refs[i].rd, refs[i].len);
		j->genlen[i] = refs[i].len;
	}
	j->ngen = (uint8_t)n;
	j->ksk = ksk;
	return 0;
}

/* Add one generated record to the zone and queue its (single-record) RRset for signing. */
static int
add_signed(struct sctx *c, const uint8_t *owner, size_t olen, uint16_t type, uint32_t ttl,
           const uint8_t *rd, size_t rdlen)
{
	struct rdref r = {rd, (uint16_t)rdlen};
	if (zone_append_rr(c->zs, c->z, owner, olen, type, ttl, rd, rdlen) != 0)
		return -1;
	return sign_gen(c, owner, olen, type, ttl, &r, 1, false);
}

/* A key of sg loaded again from its PEM (for the second thread); NULL when not possible. */
static dnssec_key_t *
key_copy(const dnssec_binary_t *pem, const uint8_t *origin, uint16_t flags)
{
	dnssec_key_t *k = NULL;

	if (pem->size == 0 || dnssec_key_new(&k) != DNSSEC_EOK)
		return NULL;
	if (dnssec_key_set_algorithm(k, ALG_ECDSAP256) != DNSSEC_EOK ||
	    dnssec_key_load_pkcs8(k, pem) != DNSSEC_EOK ||
	    dnssec_key_set_dname(k, origin) != DNSSEC_EOK ||
	    dnssec_key_set_flags(k, flags) != DNSSEC_EOK) {
		dnssec_key_free(k);
		return NULL;
	}
	return k;
}

/* The private key in pem loaded into OpenSSL, checked to be the one libdnssec has as key
   (same public point: the DNSKEY's x and y); NULL when it is not. */
static EVP_PKEY *
pkey_load(const dnssec_binary_t *pem, const dnssec_key_t *key)
{
	uint8_t pub[65];
	size_t publen = 0;
	dnssec_binary_t kp = {0};
	EVP_PKEY *pk = NULL;
	BIO *b;

	if (pem->size == 0 || pem->size > 65536)
		return NULL;
	if ((b = BIO_new_mem_buf(pem->data, (int)pem->size)) != NULL)
		pk = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	if (pk == NULL || !EVP_PKEY_is_a(pk, "EC") ||
	    EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub),
	                                    &publen) != 1 ||
	    publen != 65 || pub[0] != 4 || dnssec_key_get_pubkey(key, &kp) != DNSSEC_EOK ||
	    kp.size != 64 || memcmp(kp.data, pub + 1, 64) != 0) {
		EVP_PKEY_free(pk);
		return NULL;
	}
	return pk;
}

/* Worker w's OpenSSL keys (its own, loaded from zk's PEM files) and contexts: 0, -1. */
static int
worker_fast_init(struct worker *w, const struct zkeys *zk)
{
	w->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	w->md = EVP_MD_CTX_new();
	if (w->sha256 == NULL || w->md == NULL)
		return -1;
	for (int i = 0; i < 2; i++) {
		/* [0] is the ZSK, [1] the KSK (indexed by sjob.ksk) */
		w->pkey[i] = pkey_load(&zk->pem[i ? 0 : 1], i ? zk->ksk : zk->zsk);
		if (w->pkey[i] == NULL)
			return -1;
		w->pctx[i] = EVP_PKEY_CTX_new_from_pkey(NULL, w->pkey[i], NULL);
		if (w->pctx[i] == NULL || EVP_PKEY_sign_init(w->pctx[i]) != 1 ||
		    EVP_PKEY_CTX_set_signature_md(w->pctx[i], w->sha256) != 1)
			return -1;
	}
	return 0;
}

/* Contexts for one or two threads (each with its own copy of the keys): fast, OpenSSL's;
   reproducible, libdnssec's. 0, -1, -2 when OpenSSL cannot use the keys. */
static int
sctx_init(struct sctx *c, const struct zkeys *zk, bool fast)
{
	c->jobs = calloc(SIGN_BATCH, sizeof(*c->jobs));
	if (c->jobs == NULL)
		return -1;
	c->nworkers = 1;
	c->fast = fast;
	c->w[0].c = c->w[1].c = c;
	if (fast) {
		if (worker_fast_init(&c->w[0], zk) != 0)
			return -2;
		if (worker_fast_init(&c->w[1], zk) == 0)
			c->nworkers = 2;
		return 0;
	}
	if (dnssec_sign_new(&c->w[0].kctx, zk->ksk) != DNSSEC_EOK ||
	    dnssec_sign_new(&c->w[0].zctx, zk->zsk) != DNSSEC_EOK)
		return -1;
	c->copy[0] = key_copy(&zk->pem[0], zk->origin, FLAGS_KSK);
	c->copy[1] = key_copy(&zk->pem[1], zk->origin, FLAGS_ZSK);
	if (c->copy[0] && c->copy[1] && dnssec_sign_new(&c->w[1].kctx, c->copy[0]) == DNSSEC_EOK &&
	    dnssec_sign_new(&c->w[1].zctx, c->copy[1]) == DNSSEC_EOK)
		c->nworkers = 2;
	return 0;
}

static void
sctx_free(struct sctx *c)
{
	for (size_t i = 0; c->jobs && i < c->njobs; i++)
		free(c->jobs[i].gen);
	free(c->jobs);
	for (int i = 0; i < 2; i++) {
		struct worker *w = &c->w[i];
		dnssec_sign_free(w->kctx);
		dnssec_sign_free(w->zctx);
		EVP_PKEY_CTX_free(w->pctx[0]);
		EVP_PKEY_CTX_free(w->pctx[1]);
		EVP_PKEY_free(w->pkey[0]);
		EVP_PKEY_free(w->pkey[1]);
		EVP_MD_CTX_free(w->md);
		EVP_MD_free(w->sha256);
		free(w->refs);
		free(w->buf);
		dnssec_key_free(c->copy[i]);
	}
}

/* Zone index+1 zi (0: none) has the origin of zone index z (the zone itself, or a world-mode
   copy of it). */
static bool
same_origin(const struct zoneset *zs, uint32_t zi, size_t z)
{
	const struct zone *a, *b = zs->zones[z];

	if (zi == 0)
		return false;
	a = zs->zones[zi - 1];
	return a->origin_len == b->origin_len && memcmp(a->origin, b->origin, a->origin_len) == 0;
}

/* ---- the names of a zone ------------------------------------------------------------------ */

enum nkind { N_AUTH, N_DELEG, N_ENT };

struct sname {
	uint32_t node;          /* node of the name */
	uint8_t kind;           /* enum nkind */
	uint8_t hash[HASH_LEN]; /* NSEC3 hash of the name */
};

static bool
below_cut(const struct zoneset *zs, uint32_t n, uint32_t z, uint32_t apex)
{
	for (n = zs->nodes[n].parent; n != NODE_NONE && n != apex; n = zs->nodes[n].parent)
		if (zone_rrset_find(zs, n, z, TYPE_NS))
			return true;
	return false;
}

static int
sname_cmp_r(const void *x, const void *y, void *arg)
{
	const struct zoneset *zs = arg;
	const struct node *a = &zs->nodes[((const struct sname *)x)->node];
	const struct node *b = &zs->nodes[((const struct sname *)y)->node];
	return dnssec_name_cmp(zs->names + a->name, a->namelen, zs->names + b->name, b->namelen);
}

static int
shash_cmp(const void *x, const void *y)
{
	return memcmp(((const struct sname *)x)->hash, ((const struct sname *)y)->hash, HASH_LEN);
}

/* Type bitmap of the RRsets of zone z at node n that a signed zone shows there. */
static size_t
bitmap(const struct zoneset *zs, const struct sname *s, uint32_t z, bool apex, bool nsec3,
       uint8_t *out)
{
	dnssec_nsec_bitmap_t *bm = dnssec_nsec_bitmap_new();
	bool sigs = false;
	size_t len;

	if (bm == NULL)
		return SIZE_MAX;
	if (s->kind != N_ENT) {
		for (uint32_t off = zs->nodes[s->node].rrsets; off;) {
			const struct rrset *rs = zone_rrset_at(zs, off);
			off = rs->next;
			if (rs->zone != z)
				continue;
			if (s->kind == N_DELEG && rs->type != TYPE_NS && rs->type != TYPE_DS)
				continue;
			dnssec_nsec_bitmap_add(bm, rs->type);
			if (s->kind == N_AUTH || rs->type == TYPE_DS)
				sigs = true;
		}
		if (!nsec3) {
			dnssec_nsec_bitmap_add(bm, TYPE_NSEC);
			sigs = true;
		}
		if (apex) {
			dnssec_nsec_bitmap_add(bm, TYPE_DNSKEY);
			if (nsec3)
				dnssec_nsec_bitmap_add(bm, TYPE_NSEC3PARAM);
		}
		if (sigs)
			dnssec_nsec_bitmap_add(bm, TYPE_RRSIG);
	}
	len = dnssec_nsec_bitmap_size(bm);
	if (len <= 8192)
		dnssec_nsec_bitmap_write(bm, out);
	dnssec_nsec_bitmap_free(bm);
	return len;
}

static void
b32hex(const uint8_t *h, uint8_t *label)
{
	static const char al[] = "0123456789abcdefghijklmnopqrstuv";
	uint64_t acc = 0;
	int bits = 0;
	size_t o = 1;

	label[0] = 32;
	for (size_t i = 0; i < HASH_LEN; i++) {
		acc = acc << 8 | h[i];
		bits += 8;
		while (bits >= 5) {
			label[o++] = (uint8_t)al[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
}

static int
sign_zone(struct signer *sg, struct zoneset *zs, size_t z, struct zkeys *zk, time_t now,
          struct diag *d)
{
	struct zone *zn = zs->zones[z];
	struct sctx c = {0};
	struct sname *names = NULL;
	size_t nn = 0, cap = 0;
	uint32_t apex = zn->apex, nttl, sttl;
	uint8_t *rd = NULL;
	dnssec_binary_t kr, zr;
	int rc = -1;

	c.zs = zs;
	c.z = z;
	c.apex = zn->origin;
	c.apexlen = zn->origin_len;
	c.inception = (uint32_t)(now - SIGN_INCEPTION_BACK);
	c.expiration = (uint32_t)(now + SIGN_VALIDITY);
	c.ktag = dnssec_key_get_keytag(zk->ksk);
	c.ztag = dnssec_key_get_keytag(zk->zsk);
	nttl = zone_rr_ttl(zone_rrset_first(zone_rrset_at(zs, zn->soa_nx)));
	sttl = zone_rr_ttl(zone_rrset_first(zone_rrset_at(zs, zn->soa)));
	rd = malloc(65536);
	if (rd == NULL)
		goto out;
	if ((rc = sctx_init(&c, zk, !sg->reproducible)) != 0) {
		if (rc == -2)
			diag_add(
			    d, DIAG_ERROR, zn->files[0].path, 0, NULL,
			    "%s: OpenSSL cannot use the zone's keys (--sign-reproducible signs "
			    "without it)",
			    zn->origin_str);
		rc = -1;
		goto out;
	}

	/* the names of the zone: authoritative ones, delegations, empty non-terminals */
	for (uint32_t n = 0; n < zs->nnodes; n++) {
		bool in = false;
		uint8_t kind;
		if (!(zs->nodes[n].flags & NODE_EXISTS))
			continue;
		for (uint32_t off = zs->nodes[n].rrsets; off && !in;) {
			const struct rrset *rs = zone_rrset_at(zs, off);
			in = rs->zone == z;
			off = rs->next;
		}
		if (!in && (n == apex || !same_origin(zs, zs->nodes[n].zone, z)))
			continue;
		if (n != apex && below_cut(zs, n, (uint32_t)z, apex))
			continue;
		kind = !in                                                           ? N_ENT
		       : (n != apex && zone_rrset_find(zs, n, (uint32_t)z, TYPE_NS)) ? N_DELEG
		                                                                     : N_AUTH;
		if (nn == cap) {
			size_t ncap = cap ? cap * 2 : 256;
			struct sname *nv = realloc(names, ncap * sizeof(*nv));
			if (nv == NULL)
				goto out;
			names = nv;
			cap = ncap;
		}
		names[nn].node = n;
		names[nn].kind = kind;
		nn++;
	}

	/* RRSIGs of the data */
	for (size_t i = 0; i < nn; i++) {
		const struct node *nd = &zs->nodes[names[i].node];
		if (names[i].kind == N_ENT)
			continue;
		for (uint32_t off = nd->rrsets; off;) {
			const struct rrset *rs = zone_rrset_at(zs, off);
			off = rs->next;
			if (rs->zone != z || rs->type == TYPE_RRSIG || rs->type == TYPE_NSEC ||
			    rs->type == TYPE_NSEC3 || rs->type == TYPE_NSEC3PARAM)
				continue;
			if (names[i].kind == N_DELEG && rs->type != TYPE_DS)
				continue;
			if (sign_stored(&c, zs->names + nd->name, nd->namelen, rs) != 0)
				goto out;
		}
	}

	/* DNSKEY (signed with the KSK) */
	if (dnssec_key_get_rdata(zk->ksk, &kr) != DNSSEC_EOK ||
	    dnssec_key_get_rdata(zk->zsk, &zr) != DNSSEC_EOK)
		goto out;
	{
		struct rdref keys[2] = {{kr.data, (uint16_t)kr.size}, {zr.data, (uint16_t)zr.size}};
		if (zone_append_rr(zs, z, c.apex, c.apexlen, TYPE_DNSKEY, sttl, kr.data, kr.size) ||
		    zone_append_rr(zs, z, c.apex, c.apexlen, TYPE_DNSKEY, sttl, zr.data, zr.size) ||
		    sign_gen(&c, c.apex, c.apexlen, TYPE_DNSKEY, sttl, keys, 2, true))
			goto out;
	}

	if (!sg->nsec3) {
		qsort_r(names, nn, sizeof(*names), sname_cmp_r, zs);
		for (size_t i = 0, prev = SIZE_MAX; i <= nn; i++) {
			/* NSEC from the previous authoritative name to this one (wrapping to apex)
			 */
			size_t next = i < nn ? i : SIZE_MAX;
			const struct node *pn, *xn;
			size_t bl;
			if (i < nn && names[i].kind == N_ENT)
				continue;
			if (prev != SIZE_MAX) {
				pn = &zs->nodes[names[prev].node];
				xn = next == SIZE_MAX ? &zs->nodes[apex]
				                      : &zs->nodes[names[next].node];
				memcpy(rd, zs->names + xn->name, xn->namelen);
				bl = bitmap(zs, &names[prev], (uint32_t)z, names[prev].node == apex,
				            false, rd + xn->namelen);
				if (bl > 8192 ||
				    add_signed(&c, zs->names + pn->name, pn->namelen, TYPE_NSEC,
				               nttl, rd, xn->namelen + bl) != 0)
					goto out;
			}
			prev = i;
		}
	} else {
		static const uint8_t param[5] = {1, 0, 0, 0, 0};
		dnssec_nsec3_params_t params = {.algorithm = DNSSEC_NSEC3_ALGORITHM_SHA1};
		for (size_t i = 0; i < nn; i++) {
			const struct node *nd = &zs->nodes[names[i].node];
			dnssec_binary_t in = {.size = nd->namelen,
			                      .data = (uint8_t *)(uintptr_t)(zs->names + nd->name)};
			dnssec_binary_t h = {0};
			if (dnssec_nsec3_hash(&in, &params, &h) != DNSSEC_EOK ||
			    h.size != HASH_LEN) {
				dnssec_binary_free(&h);
				goto out;
			}
			memcpy(names[i].hash, h.data, HASH_LEN);
			dnssec_binary_free(&h);
		}
		qsort(names, nn, sizeof(*names), shash_cmp);
		for (size_t i = 0; i < nn; i++) {
			uint8_t owner[256];
			size_t bl;
			const uint8_t *next = names[(i + 1) % nn].hash;
			b32hex(names[i].hash, owner);
			memcpy(owner + 33, c.apex, c.apexlen);
			memcpy(rd, param, 5);
			rd[5] = HASH_LEN;
			memcpy(rd + 6, next, HASH_LEN);
			bl = bitmap(zs, &names[i], (uint32_t)z, names[i].node == apex, true,
			            rd + 6 + HASH_LEN);
			if (bl > 8192 || add_signed(&c, owner, 33 + c.apexlen, TYPE_NSEC3, nttl, rd,
			                            6 + HASH_LEN + bl) != 0)
				goto out;
		}
		if (add_signed(&c, c.apex, c.apexlen, TYPE_NSEC3PARAM, sttl, param, 5) != 0)
			goto out;
	}
	if (flush(&c) != 0)
		goto out;
	zk->signed_now = true;
	rc = 0;
out:
	if (rc != 0)
		diag_add(d, DIAG_ERROR, zn->files[0].path, 0, NULL, "%s: signing failed",
		         zn->origin_str);
	sctx_free(&c);
	free(names);
	free(rd);
	return rc;
}

/* The zone whose apex is the closest served one above zone z's apex, SIZE_MAX when none. */
static size_t
parent_zone(const struct zoneset *zs, size_t z)
{
	for (uint32_t n = zs->nodes[zs->zones[z]->apex].parent; n != NODE_NONE;
	     n = zs->nodes[n].parent)
		if (zs->nodes[n].flags & NODE_APEX)
			return zs->nodes[n].zone - 1;
	return SIZE_MAX;
}

/* A DS for the signed child zone c in its served parent p, at the delegation p has for it,
   unless p has a DS there already (the author's wins). Returns 1 when one was added. */
/* A DS of zk's KSK at node n (the child's apex) in zone p of zs, at the delegation p has
   there, unless p has a DS there already (the author's wins). 1 when one was added. */
static int
add_ds_at(struct zoneset *zs, uint32_t n, size_t p, const struct zkeys *zk)
{
	const struct zone *pz = zs->zones[p];
	dnssec_binary_t ds = {0};
	uint32_t ttl;
	int rc;

	if (zone_rrset_find(zs, n, (uint32_t)p, TYPE_NS) == NULL ||
	    zone_rrset_find(zs, n, (uint32_t)p, TYPE_DS) != NULL || !pz->soa)
		return 0;
	if (dnssec_key_create_ds(zk->ksk, DNSSEC_KEY_DIGEST_SHA256, &ds) != DNSSEC_EOK)
		return -1;
	ttl = zone_rr_ttl(zone_rrset_first(zone_rrset_at(zs, pz->soa)));
	rc = zone_append_rr(zs, p, zk->origin, zk->olen, TYPE_DS, ttl, ds.data, ds.size);
	dnssec_binary_free(&ds);
	return rc == 0 ? 1 : -1;
}

/* The DS of the signed child zone c in its served parent p. */
static int
add_child_ds(struct zoneset *zs, size_t c, size_t p, const struct zkeys *zk)
{
	return add_ds_at(zs, zs->zones[c]->apex, p, zk);
}

/* ---- the chain of trust when the set changes ---------------------------------------------- */

/* A zone set built for PUT or DELETE /zones shares the zones it did not change with the served
   set, signed ones included (they have their DNSKEY, so they are not signed again). A parent
   signed by sg must still hold, signed, the DS of every child signed by sg (a new one, or one
   already signed when the parent is new) and none for a child no longer served: each such
   parent that differs is stripped of what sg added to it (every record of line 0: DNSKEY,
   RRSIG, NSEC, NSEC3, NSEC3PARAM, DS) and signed again like a new zone. */

/* sg's keys for the origin, NULL when it has none. */
static struct zkeys *
keys_for(struct signer *sg, const uint8_t *origin, size_t olen)
{
	for (size_t i = 0; i < sg->nkeys; i++)
		if (sg->keys[i].olen == olen && memcmp(sg->keys[i].origin, origin, olen) == 0)
			return &sg->keys[i];
	return NULL;
}

/* Zone z's apex DNSKEY RRset is exactly sg's KSK and ZSK for its origin: the keys of the
   zone sg signed (checked further by signed_scan: from no file). NULL when not. */
static struct zkeys *
signed_keys(struct signer *sg, const struct zoneset *zs, size_t z)
{
	const struct zone *zn = zs->zones[z];
	const struct rrset *rs;
	struct zkeys *zk;
	dnssec_binary_t kr, zr;
	const uint8_t *r;
	bool seen[2] = {false, false};

	if (zn->bad || zn->apex == NODE_NONE ||
	    (rs = zone_rrset_find(zs, zn->apex, (uint32_t)z, TYPE_DNSKEY)) == NULL ||
	    rs->count != 2 || (zk = keys_for(sg, zn->origin, zn->origin_len)) == NULL ||
	    dnssec_key_get_rdata(zk->ksk, &kr) != DNSSEC_EOK ||
	    dnssec_key_get_rdata(zk->zsk, &zr) != DNSSEC_EOK)
		return NULL;
	r = zone_rrset_first(rs);
	for (unsigned i = 0; i < rs->count; i++, r = zone_rr_next(rs, r)) {
		size_t rdlen = zone_rr_rdlen(r);
		const uint8_t *rd = zone_rr_rdata(zs, rs, r);
		if (rdlen == kr.size && memcmp(rd, kr.data, rdlen) == 0)
			seen[0] = true;
		else if (rdlen == zr.size && memcmp(rd, zr.data, rdlen) == 0)
			seen[1] = true;
	}
	return seen[0] && seen[1] ? zk : NULL;
}

/* A DS record of a zone: one sg added (line 0), or, for its owner only, one from the text. */
struct dsrec {
	uint8_t owner[256]; /* owner, lower-cased wire */
	size_t olen;        /* bytes of owner */
	uint8_t rd[64];     /* rdata of one sg added (digest type 2: 36 bytes) */
	size_t rdlen;       /* its length */
	bool author;        /* from the zone's text (rd unused) */
};

/* What scan_cb found in a signed zone's records, and what check_child_cb made of it. */
struct dscan {
	const struct zoneset *zs; /* the set (a DS from the text counts at served apexes only) */
	struct dsrec *v;          /* DS records; owned */
	size_t n;                 /* entries used */
	size_t cap;               /* entries allocated */
	bool file_dnskey;         /* a DNSKEY came from the text: pre-signed, not sg's to touch */
	bool oom;                 /* out of memory (or a record too long to hold) */
	size_t matched;           /* of the line-0 DS records, those a child wants */
	bool stale;               /* a child's DS is missing */
};

static size_t
wire_len(const uint8_t *name)
{
	size_t n = 0;

	while (name[n] && n < 255)
		n += (size_t)name[n] + 1;
	return n + 1;
}

/* zone_drop_rrs callback that drops nothing and takes note of the zone's DS records. */
static bool
scan_cb(const struct zone_rr *rr, void *arg)
{
	struct dscan *sc = arg;
	struct dsrec *e;

	if (rr->type == TYPE_DNSKEY && rr->line != 0)
		sc->file_dnskey = true;
	if (rr->type != TYPE_DS)
		return true;
	if (rr->line != 0) {
		/* the author's: it matters only where a served zone's apex is (child DS) */
		size_t len = wire_len(rr->owner);
		uint32_t n = zone_node_find(sc->zs, rr->owner, len, zone_name_hash(rr->owner, len));
		if (n == NODE_NONE || !(sc->zs->nodes[n].flags & NODE_APEX))
			return true;
	}
	if (sc->n == sc->cap) {
		size_t nc = sc->cap ? sc->cap * 2 : 16;
		struct dsrec *nv = realloc(sc->v, nc * sizeof(*nv));
		if (nv == NULL) {
			sc->oom = true;
			return true;
		}
		sc->v = nv;
		sc->cap = nc;
	}
	e = &sc->v[sc->n];
	e->olen = wire_len(rr->owner);
	memcpy(e->owner, rr->owner, e->olen);
	e->author = rr->line != 0;
	e->rdlen = 0;
	if (!e->author) {
		if (rr->rdlen > sizeof(e->rd)) {
			sc->oom = true;
			return true;
		}
		memcpy(e->rd, rr->rdata, rr->rdlen);
		e->rdlen = rr->rdlen;
	}
	sc->n++;
	return true;
}

/* zone_drop_rrs callback keeping what the zone's text has (sg's additions have line 0). */
static bool
text_cb(const struct zone_rr *rr, void *arg)
{
	(void)arg;
	return rr->line != 0;
}

/* The zones of a finished set ordered by apex node (world-mode copies of one origin share
   it), to find every copy of a parent without a pass over all zones. */
struct zgroups {
	const struct zoneset *zs; /* the set */
	size_t *ord;              /* zone indexes with an apex, by apex node then index; owned */
	size_t n;                 /* entries in ord */
};

static int
apex_cmp_r(const void *x, const void *y, void *arg)
{
	const struct zoneset *zs = arg;
	size_t a = *(const size_t *)x, b = *(const size_t *)y;
	uint32_t na = zs->zones[a]->apex, nb = zs->zones[b]->apex;

	if (na != nb)
		return na < nb ? -1 : 1;
	return (a > b) - (a < b);
}

/* 0, -1 when out of memory. */
static int
groups_build(struct zgroups *g, const struct zoneset *zs)
{
	free(g->ord);
	g->zs = zs;
	g->n = 0;
	if ((g->ord = malloc((zs->nzones ? zs->nzones : 1) * sizeof(*g->ord))) == NULL)
		return -1;
	for (size_t z = 0; z < zs->nzones; z++)
		if (zs->zones[z]->apex != NODE_NONE)
			g->ord[g->n++] = z;
	qsort_r(g->ord, g->n, sizeof(*g->ord), apex_cmp_r, (void *)(uintptr_t)zs);
	return 0;
}

/* Every pair of a child zone c whose DS sg gives (kc[c]: index+1 into sg->keys of the keys c
   is or will be signed with, 0 none; of copies of one child, the first with keys) and a copy
   q of its served parent, to fn; stops at the first fn that returns nonzero. */
static int
each_delegation(const struct zgroups *g, const size_t *kc, int (*fn)(size_t c, size_t q, void *arg),
                void *arg)
{
	const struct zoneset *zs = g->zs;
	uint32_t done = NODE_NONE;

	for (size_t i = 0; i < g->n; i++) {
		size_t c = g->ord[i], p, lo = 0, hi = g->n;
		uint32_t pn;
		int r;
		if (kc[c] == 0 || zs->zones[c]->apex == done)
			continue;
		done = zs->zones[c]->apex;
		if ((p = parent_zone(zs, c)) == SIZE_MAX)
			continue;
		pn = zs->zones[p]->apex;
		while (lo < hi) { /* the first zone at the parent's apex */
			size_t mid = lo + (hi - lo) / 2;
			if (zs->zones[g->ord[mid]]->apex < pn)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < g->n && zs->zones[g->ord[lo]]->apex == pn; lo++)
			if ((r = fn(c, g->ord[lo], arg)) != 0)
				return r;
	}
	return 0;
}

/* Checking the parents already signed against the DS their children want. */
struct dscheck {
	const struct zoneset *zs;  /* the set */
	const size_t *ours;        /* keys of each zone signed by sg before (0: not) */
	const dnssec_binary_t *ds; /* DS rdata of each child with keys */
	struct dscan *scans;       /* each signed parent's DS records, and the verdict */
};

/* Child c's DS in parent q (if q was signed by sg before) is as it should be (there, or none
   wanted), else q is marked stale. Always 0. */
static int
check_child_cb(size_t c, size_t q, void *arg)
{
	struct dscheck *k = arg;
	const struct zone *cz = k->zs->zones[c];
	struct dscan *sc = &k->scans[q];
	bool author = false, found = false;

	if (k->ours[q] == 0 || zone_rrset_find(k->zs, cz->apex, (uint32_t)q, TYPE_NS) == NULL)
		return 0; /* not a parent to check, or no delegation there: no DS */
	for (size_t i = 0; i < sc->n; i++) {
		const struct dsrec *e = &sc->v[i];
		if (e->olen != cz->origin_len || memcmp(e->owner, cz->origin, e->olen) != 0)
			continue;
		if (e->author)
			author = true;
		else if (e->rdlen == k->ds[c].size && memcmp(e->rd, k->ds[c].data, e->rdlen) == 0)
			found = true;
	}
	if (author)
		return 0; /* the author's DS wins (a DS of sg's next to it is counted a mismatch) */
	if (found)
		sc->matched++;
	else
		sc->stale = true;
	return 0;
}

/* Adding the children's DS to the parents about to be signed. */
struct dsadd {
	struct zoneset *zs; /* the set */
	const size_t *todo; /* keys of each zone signed now (0: not) */
	const size_t *kc;   /* keys of each child */
	struct signer *sg;  /* keys */
	bool added;         /* a DS was added */
};

/* Child c's DS into parent q when q is signed now or left unsigned (no DNSKEY): never into a
   pre-signed one, nor one signed before whose DS are current. */
static int
add_child_cb(size_t c, size_t q, void *arg)
{
	struct dsadd *a = arg;
	const struct zone *qz = a->zs->zones[q];
	int r;

	if (qz->bad || !qz->soa ||
	    (a->todo[q] == 0 && zone_rrset_find(a->zs, qz->apex, (uint32_t)q, TYPE_DNSKEY)))
		return 0;
	if ((r = add_child_ds(a->zs, c, q, &a->sg->keys[a->kc[c] - 1])) < 0)
		return -1;
	a->added |= r > 0;
	return 0;
}

static int sign_all(struct signer *sg, struct zoneset *zs, time_t now, bool reset, struct diag *d);

int
signer_sign(struct signer *sg, struct zoneset *zs, time_t now, struct diag *d)
{
	return sign_all(sg, zs, now, true, d);
}

int
signer_sign_root(struct signer *sg, struct zoneset *root, const struct zoneset *zs, time_t now,
                 struct diag *d)
{
	bool added = false;

	if (root == NULL || root->nzones == 0)
		return 0;
	for (size_t z = 0; z < zs->nzones; z++) {
		const struct zone *zn = zs->zones[z];
		struct zkeys *zk = NULL;
		uint32_t n;
		int r;
		if (zn->apex == NODE_NONE || parent_zone(zs, z) != SIZE_MAX)
			continue;
		for (size_t i = 0; i < sg->nkeys && zk == NULL; i++)
			if (sg->keys[i].signed_now && sg->keys[i].olen == zn->origin_len &&
			    memcmp(sg->keys[i].origin, zn->origin, zn->origin_len) == 0)
				zk = &sg->keys[i];
		n = zone_node_find(root, zn->origin, zn->origin_len,
		                   zone_name_hash(zn->origin, zn->origin_len));
		if (zk == NULL || n == NODE_NONE)
			continue;
		if ((r = add_ds_at(root, n, 0, zk)) < 0)
			return -1;
		added |= r > 0;
	}
	if (added && zoneset_finish(root, d) != 0)
		return -1;
	return sign_all(sg, root, now, false, d);
}

static int
sign_all(struct signer *sg, struct zoneset *zs, time_t now, bool reset, struct diag *d)
{
	size_t nz = zs->nzones ? zs->nzones : 1;
	/* index+1 into sg->keys (keys may move while more are made), 0 none: of each zone to
	   sign now (todo), of each zone already signed by sg (ours), of each either (kc) */
	size_t *todo = calloc(nz, sizeof(*todo)), *ours = calloc(nz, sizeof(*ours));
	size_t *kc = calloc(nz, sizeof(*kc));
	dnssec_binary_t *ds = calloc(nz, sizeof(*ds));    /* DS rdata of each zone in kc */
	struct dscan *scans = calloc(nz, sizeof(*scans)); /* DS records of each zone in ours */
	struct zgroups g = {0};
	bool any = false, ds_added = false, stripped = false, oom = false;
	int rc = -1;

	if (todo == NULL || ours == NULL || kc == NULL || ds == NULL || scans == NULL)
		goto out;
	for (size_t i = 0; reset && i < sg->nkeys; i++)
		sg->keys[i].signed_now = false;
	for (size_t z = 0; z < zs->nzones; z++) {
		struct zone *zn = zs->zones[z];
		struct zkeys *zk;
		if (zn->bad || zn->apex == NODE_NONE || !zn->soa || !zn->soa_nx ||
		    skipped(sg, zn->origin, zn->origin_len))
			continue;
		if (zone_rrset_find(zs, zn->apex, (uint32_t)z, TYPE_DNSKEY) != NULL) {
			if ((zk = signed_keys(sg, zs, z)) == NULL)
				continue;
			scans[z].zs = zs;
			zone_drop_rrs(zs, z, scan_cb, &scans[z]); /* drops nothing */
			if ((oom = scans[z].oom))
				goto out;
			if (!scans[z].file_dnskey) /* else pre-signed, with sg's keys */
				ours[z] = (size_t)(zk - sg->keys) + 1;
			continue;
		}
		zk = zone_keys(sg, zn->origin, zn->origin_len, zn->origin_str, d);
		if (zk == NULL)
			goto out;
		todo[z] = (size_t)(zk - sg->keys) + 1;
		any = true;
	}
	for (size_t z = 0; z < zs->nzones; z++) {
		if ((kc[z] = todo[z] ? todo[z] : ours[z]) != 0 &&
		    dnssec_key_create_ds(sg->keys[kc[z] - 1].ksk, DNSSEC_KEY_DIGEST_SHA256,
		                         &ds[z]) != DNSSEC_EOK)
			goto out;
	}
	/* parents already signed by sg whose DS records are not what their children want are
	   taken back to their text, to be signed again */
	if (groups_build(&g, zs) != 0)
		goto out;
	{
		struct dscheck k = {zs, ours, ds, scans};
		each_delegation(&g, kc, check_child_cb, &k);
	}
	for (size_t q = 0; q < zs->nzones; q++) {
		size_t added = 0;
		if (ours[q] == 0)
			continue;
		for (size_t i = 0; i < scans[q].n; i++)
			added += !scans[q].v[i].author;
		if (!scans[q].stale && scans[q].matched == added) {
			sg->keys[ours[q] - 1].signed_now = true;
			continue;
		}
		if (zone_drop_rrs(zs, q, text_cb, NULL) != 0)
			goto out;
		todo[q] = ours[q];
		ours[q] = 0;
		any = stripped = true;
	}
	if (stripped && (zoneset_finish(zs, d) != 0 || groups_build(&g, zs) != 0))
		goto out;
	/* parents get the DS of their children signed by sg (new or not), then the set is
	   indexed again */
	{
		struct dsadd a = {zs, todo, kc, sg, false};
		if (each_delegation(&g, kc, add_child_cb, &a) != 0)
			goto out;
		ds_added = a.added;
	}
	if (!any && !ds_added) {
		rc = 0;
		goto out;
	}
	if (zoneset_finish(zs, d) != 0)
		goto out;
	for (size_t z = 0; z < zs->nzones; z++)
		if (todo[z] != 0 && sign_zone(sg, zs, z, &sg->keys[todo[z] - 1], now, d) != 0)
			goto out;
	rc = any ? zoneset_finish(zs, d) : 0;
out:
	if (oom)
		diag_add(d, DIAG_ERROR, NULL, 0, NULL, "out of memory");
	for (size_t z = 0; ds != NULL && z < zs->nzones; z++)
		dnssec_binary_free(&ds[z]);
	for (size_t z = 0; scans != NULL && z < zs->nzones; z++)
		free(scans[z].v);
	free(scans);
	free(g.ord);
	free(ds);
	free(kc);
	free(ours);
	free(todo);
	return rc;
}

size_t
signer_resign(struct signer *sg, const uint8_t *zone, size_t zlen, uint16_t keytag,
              const uint8_t *data, size_t len, uint8_t *sig, size_t cap)
{
	dnssec_sign_ctx_t *ctx = NULL;
	dnssec_binary_t in = {.size = len, .data = (uint8_t *)(uintptr_t)data}, out = {0};
	dnssec_key_t *key = NULL;
	size_t n = 0;

	if (sg == NULL)
		return 0;
	/* the lookup under the lock (a build thread may be adding keys); the signature with the
	   loop's own copy of the key, never the one a signing thread may be using */
	pthread_mutex_lock(&sg->lock);
	for (size_t i = 0; i < sg->nkeys && key == NULL; i++) {
		struct zkeys *zk = &sg->keys[i];
		int k;
		if (zk->olen != zlen || memcmp(zk->origin, zone, zlen) != 0)
			continue;
		if (dnssec_key_get_keytag(zk->zsk) == keytag)
			k = 1;
		else if (dnssec_key_get_keytag(zk->ksk) == keytag)
			k = 0;
		else
			continue;
		if (zk->rk[k] == NULL)
			zk->rk[k] = key_copy(&zk->pem[k], zk->origin, k ? FLAGS_ZSK : FLAGS_KSK);
		key = zk->rk[k];
	}
	pthread_mutex_unlock(&sg->lock);
	if (key == NULL || dnssec_sign_new(&ctx, key) != DNSSEC_EOK)
		return 0;
	if (dnssec_sign_add(ctx, &in) == DNSSEC_EOK &&
	    dnssec_sign_write(ctx, DNSSEC_SIGN_REPRODUCIBLE, &out) == DNSSEC_EOK &&
	    out.size <= cap) {
		memcpy(sig, out.data, out.size);
		n = out.size;
	}
	dnssec_binary_free(&out);
	dnssec_sign_free(ctx);
	return n;
}

/* ---- trust anchor and export ------------------------------------------------------------- */

int
signer_write_trust_anchor(struct signer *sg, const struct zoneset *zs, const char *path, char *err,
                          size_t errlen)
{
	FILE *fp = fopen(path, "w");

	if (fp == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	for (size_t z = 0; z < zs->nzones; z++) {
		const struct zone *zn = zs->zones[z];
		struct zkeys *zk = NULL;
		dnssec_binary_t ds = {0};
		bool top = true;
		if (zn->apex == NODE_NONE)
			continue;
		for (size_t i = 0; i < sg->nkeys; i++)
			if (sg->keys[i].signed_now && sg->keys[i].olen == zn->origin_len &&
			    memcmp(sg->keys[i].origin, zn->origin, zn->origin_len) == 0)
				zk = &sg->keys[i];
		if (zk == NULL)
			continue;
		for (uint32_t n = zs->nodes[zn->apex].parent; n != NODE_NONE && top;
		     n = zs->nodes[n].parent)
			top = !(zs->nodes[n].flags & NODE_APEX);
		if (!top ||
		    dnssec_key_create_ds(zk->ksk, DNSSEC_KEY_DIGEST_SHA256, &ds) != DNSSEC_EOK)
			continue;
		fprintf(fp, "%s\t3600\tIN\tDS\t%u %u %u ", zn->origin_str,
		        (unsigned)(ds.data[0] << 8 | ds.data[1]), ds.data[2], ds.data[3]);
		for (size_t i = 4; i < ds.size; i++)
			fprintf(fp, "%02X", ds.data[i]);
		fputc('\n', fp);
		dnssec_binary_free(&ds);
	}
	if (fclose(fp) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

struct dump {
	const uint8_t *origin; /* zone being written */
	bool soa;              /* pass: SOA only (true) or everything else */
	FILE *fp;              /* output */
	int errors;            /* records ldns could not print */
};

static void
dump_rr_cb(const struct zone_rr *r, void *arg)
{
	struct dump *dp = arg;
	uint8_t wire[256 + 10 + 65536];
	size_t olen = 0, pos = 0;
	ldns_rr *rr = NULL;

	if (r->origin != dp->origin || (r->type == TYPE_SOA) != dp->soa)
		return;
	while (r->owner[olen])
		olen += (size_t)r->owner[olen] + 1;
	olen++;
	memcpy(wire, r->owner, olen);
	wire[olen] = (uint8_t)(r->type >> 8);
	wire[olen + 1] = (uint8_t)r->type;
	wire[olen + 2] = 0;
	wire[olen + 3] = CLASS_IN;
	put32(wire + olen + 4, r->ttl);
	wire[olen + 8] = (uint8_t)(r->rdlen >> 8);
	wire[olen + 9] = (uint8_t)r->rdlen;
	memcpy(wire + olen + 10, r->rdata, r->rdlen);
	if (ldns_wire2rr(&rr, wire, olen + 10 + r->rdlen, &pos, LDNS_SECTION_ANSWER) !=
	    LDNS_STATUS_OK) {
		dp->errors++;
		return;
	}
	ldns_rr_print(dp->fp, rr);
	ldns_rr_free(rr);
}

int
sign_dump_zones(const struct zoneset *zs, const char *dir, char *err, size_t errlen)
{
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	for (size_t z = 0; z < zs->nzones; z++) {
		const struct zone *zn = zs->zones[z];
		char path[4096];
		struct dump dp = {zn->origin, true, NULL, 0};
		snprintf(path, sizeof(path), "%s/%szone", dir,
		         strcmp(zn->origin_str, ".") == 0 ? "root." : zn->origin_str);
		if ((dp.fp = fopen(path, "w")) == NULL) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return -1;
		}
		zoneset_foreach(zs, dump_rr_cb, &dp);
		dp.soa = false;
		zoneset_foreach(zs, dump_rr_cb, &dp);
		if (fclose(dp.fp) != 0 || dp.errors) {
			snprintf(err, errlen, "%s: could not write every record", path);
			return -1;
		}
	}
	return 0;
}

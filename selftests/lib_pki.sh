# SPDX-License-Identifier: GPL-2.0
#
# A test PKI made with the openssl command line, for the shell selftests
# that need certificates (esf_certke.sh, esf_es256.sh). Sourced from the
# test's working directory, with $tmp that directory: the CA directories
# and files are made there.
#
mkca() { # mkca DIR NAME
	mkdir -p "$1/new"
	: >"$1/index.txt"
	echo 1000 >"$1/serial"
	echo 1000 >"$1/crlnumber"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1/ca.key" \
		-subj "/CN=$2" -days 3650 -out "$1/ca.pem" \
		-addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
	cat >"$1/ca.cnf" <<EOF
[ca]
default_ca = d
[d]
dir = $tmp/$1
database = $tmp/$1/index.txt
new_certs_dir = $tmp/$1/new
serial = $tmp/$1/serial
crlnumber = $tmp/$1/crlnumber
certificate = $tmp/$1/ca.pem
private_key = $tmp/$1/ca.key
default_md = sha256
default_days = 365
default_crl_days = 30
policy = p
copy_extensions = copy
unique_subject = no
[p]
commonName = supplied
[ext]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
EOF
}
# Under TCG an openssl start costs half a second: a key and its request
# come from one, and the certificates of the same CA and validity from one
# "openssl ca" (each also in CA/new as <serial>.pem, the serials counting
# up from 1000).
mkcsr() { # mkcsr NAME ID
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" \
		-subj "/CN=$1" -addext "subjectAltName=URI:$2" -out "$1.csr" 2>/dev/null
}
mkcert() { # mkcert CA NAME [STARTDATE ENDDATE]
	openssl ca -batch -config "$1/ca.cnf" -extensions ext -in "$2.csr" -out "$2.pem" \
		-notext ${3:+-startdate $3 -enddate $4} 2>/dev/null
}

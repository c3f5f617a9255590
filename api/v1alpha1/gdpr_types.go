/*
Copyright 2026 The Amber Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package v1alpha1

// This file holds the GDPR controls of a workload that are not about its pods' lifecycle:
// how its containers are locked down (hardening) and its entry in the record of processing
// activities (GDPR Art. 30). None of these fields holds data about data subjects: they
// describe the processing, never the people.

// HardeningProfile names a set of security settings every container of a workload's pods
// gets.
// +kubebuilder:validation:Enum=Immutable;Baseline
type HardeningProfile string

const (
	// HardeningImmutable locks a container down to what immutable infrastructure needs: a
	// read-only root filesystem, no privilege escalation, every capability dropped, a
	// non-root user, the runtime's default seccomp profile, no privileged mode, no host
	// namespaces, no hostPath volumes, and no service account token unless the template
	// asks for one.
	HardeningImmutable HardeningProfile = "Immutable"
	// HardeningBaseline keeps only the rules that stop a container from reaching its node:
	// no privileged mode, no host namespaces, no hostPath volumes.
	HardeningBaseline HardeningProfile = "Baseline"
)

// Hardening says how the containers of a workload's pods are locked down.
type Hardening struct {
	// profile is the set of security settings every container and init container gets.
	// Immutable (the default): read-only root filesystem, allowPrivilegeEscalation false,
	// capabilities drop ALL, runAsNonRoot, seccomp RuntimeDefault, not privileged, no host
	// network, PID or IPC namespace, no hostPath volume, and automountServiceAccountToken
	// false unless the template sets it. Baseline: not privileged, no host namespaces, no
	// hostPath volume. Settings the template leaves unset are filled in on each pod, not in
	// the workload; settings it makes are kept. A template that contradicts its profile is
	// refused, naming the field: under Immutable also runAsUser 0, seccomp Unconfined, and
	// any added capability but NET_BIND_SERVICE. Changing the profile rolls the pods out
	// to a new revision, and the ledger records the change (reason HardeningChanged).
	// +kubebuilder:default=Immutable
	// +optional
	Profile HardeningProfile `json:"profile,omitempty"`
}

// ProcessingRole is whether the organisation running the workload decides the purposes of
// the processing (a controller, GDPR Art. 30(1)) or processes on a controller's behalf (a
// processor, Art. 30(2)).
// +kubebuilder:validation:Enum=Controller;Processor
type ProcessingRole string

const (
	// RoleController: the organisation decides why and how the data is processed (Art. 30(1)).
	RoleController ProcessingRole = "Controller"
	// RoleProcessor: the organisation processes on behalf of a controller (Art. 30(2)).
	RoleProcessor ProcessingRole = "Processor"
)

// LawfulBasis is one of the six lawful bases for processing of GDPR Art. 6(1).
// +kubebuilder:validation:Enum=Consent;Contract;LegalObligation;VitalInterests;PublicTask;LegitimateInterests
type LawfulBasis string

const (
	// BasisConsent: Art. 6(1)(a), the data subject consented.
	BasisConsent LawfulBasis = "Consent"
	// BasisContract: Art. 6(1)(b), needed for a contract with the data subject.
	BasisContract LawfulBasis = "Contract"
	// BasisLegalObligation: Art. 6(1)(c), needed to comply with a legal obligation.
	BasisLegalObligation LawfulBasis = "LegalObligation"
	// BasisVitalInterests: Art. 6(1)(d), needed to protect someone's vital interests.
	BasisVitalInterests LawfulBasis = "VitalInterests"
	// BasisPublicTask: Art. 6(1)(e), a task in the public interest or official authority.
	BasisPublicTask LawfulBasis = "PublicTask"
	// BasisLegitimateInterests: Art. 6(1)(f), the legitimate interests of the controller or a
	// third party; the purpose must name the interest.
	BasisLegitimateInterests LawfulBasis = "LegitimateInterests"
)

// SpecialCategory is one of the special categories of personal data of GDPR Art. 9(1).
// +kubebuilder:validation:Enum=RacialOrEthnicOrigin;PoliticalOpinions;ReligiousOrPhilosophicalBeliefs;TradeUnionMembership;Genetic;Biometric;Health;SexLifeOrOrientation
type SpecialCategory string

// The special categories of Art. 9(1), spelled as the API takes them.
const (
	SpecialRacialOrEthnicOrigin            SpecialCategory = "RacialOrEthnicOrigin"
	SpecialPoliticalOpinions               SpecialCategory = "PoliticalOpinions"
	SpecialReligiousOrPhilosophicalBeliefs SpecialCategory = "ReligiousOrPhilosophicalBeliefs"
	SpecialTradeUnionMembership            SpecialCategory = "TradeUnionMembership"
	SpecialGenetic                         SpecialCategory = "Genetic"
	SpecialBiometric                       SpecialCategory = "Biometric"
	SpecialHealth                          SpecialCategory = "Health"
	SpecialSexLifeOrOrientation            SpecialCategory = "SexLifeOrOrientation"
)

// SpecialCategoryCondition is the condition of GDPR Art. 9(2) under which special
// categories of personal data are processed.
// +kubebuilder:validation:Enum=ExplicitConsent;EmploymentAndSocialProtection;VitalInterests;NotForProfitBody;MadePublicByDataSubject;LegalClaims;SubstantialPublicInterest;HealthOrSocialCare;PublicHealth;ArchivingResearchStatistics
type SpecialCategoryCondition string

// The conditions of Art. 9(2), points (a) to (j), spelled as the API takes them.
const (
	ConditionExplicitConsent               SpecialCategoryCondition = "ExplicitConsent"               // Art. 9(2)(a)
	ConditionEmploymentAndSocialProtection SpecialCategoryCondition = "EmploymentAndSocialProtection" // Art. 9(2)(b)
	ConditionVitalInterests                SpecialCategoryCondition = "VitalInterests"                // Art. 9(2)(c)
	ConditionNotForProfitBody              SpecialCategoryCondition = "NotForProfitBody"              // Art. 9(2)(d)
	ConditionMadePublicByDataSubject       SpecialCategoryCondition = "MadePublicByDataSubject"       // Art. 9(2)(e)
	ConditionLegalClaims                   SpecialCategoryCondition = "LegalClaims"                   // Art. 9(2)(f)
	ConditionSubstantialPublicInterest     SpecialCategoryCondition = "SubstantialPublicInterest"     // Art. 9(2)(g)
	ConditionHealthOrSocialCare            SpecialCategoryCondition = "HealthOrSocialCare"            // Art. 9(2)(h)
	ConditionPublicHealth                  SpecialCategoryCondition = "PublicHealth"                  // Art. 9(2)(i)
	ConditionArchivingResearchStatistics   SpecialCategoryCondition = "ArchivingResearchStatistics"   // Art. 9(2)(j)
)

// TransferSafeguard is the legal ground for a transfer of personal data to a third country
// (GDPR Chapter V).
// +kubebuilder:validation:Enum=AdequacyDecision;StandardContractualClauses;BindingCorporateRules;Derogation
type TransferSafeguard string

const (
	// SafeguardAdequacyDecision: Art. 45, the Commission decided the country's protection is adequate.
	SafeguardAdequacyDecision TransferSafeguard = "AdequacyDecision"
	// SafeguardStandardContractualClauses: Art. 46(2)(c), the Commission's standard clauses.
	SafeguardStandardContractualClauses TransferSafeguard = "StandardContractualClauses"
	// SafeguardBindingCorporateRules: Art. 47, approved rules within a group of companies.
	SafeguardBindingCorporateRules TransferSafeguard = "BindingCorporateRules"
	// SafeguardDerogation: Art. 49, a derogation for a specific situation.
	SafeguardDerogation TransferSafeguard = "Derogation"
)

// The lists the CEL rules of spec.processing spell out, kept here so that code reading a
// record (`kubectl amber records`) uses the same ones; TestProcessingRulesNameTheseLists
// holds the generated CRD to them.
var (
	// FidesDataUseRoots are the top-level data uses of the fideslang taxonomy (fideslang
	// src/fideslang/default_taxonomy/data_uses.py): every purpose name starts with one.
	FidesDataUseRoots = []string{"analytics", "collect", "employment", "essential", "finance", "functional",
		"marketing", "operations", "personalize", "sales", "third_party_sharing", "train_ai_system"}

	// FidesDataCategoryRoots are the top-level data categories of the fideslang taxonomy
	// (data_categories.py): every data category starts with one. Data about employees is
	// under user too.
	FidesDataCategoryRoots = []string{"user", "system"}

	// EEACountries are the ISO 3166-1 alpha-2 codes of the EU's 27 members and of the other
	// three EEA states (IS, LI, NO), plus EL, the EU's own code for Greece: a transfer to one
	// of them is no transfer to a third country.
	EEACountries = []string{"AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "GR", "HR",
		"HU", "IE", "IS", "IT", "LI", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK"}
)

// Party is an organisation, or a role within one, named in the record of
// processing: never a person's own name or personal contact details.
type Party struct {
	// name is the organisation, or a role within it ("Example Payments GmbH",
	// "Data Protection Office"). Not a person's name: the record outlives staff
	// changes and must not itself hold personal data.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	// +required
	Name string `json:"name"`

	// contact is how to reach it: a role mailbox, a postal address or a web form
	// ("privacy@example.com", "Hauptstrasse 1, 10115 Berlin, DE"). Not a person's
	// own address.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=512
	// +required
	Contact string `json:"contact"`
}

// Purpose is one purpose of the processing, with what Art. 30(1)(b) to (f)
// asks about it: the lawful basis, the categories of data and of people, how
// long the data is kept, where it comes from and who receives it. It maps onto
// one fideslang privacy declaration. Categories only: no field holds data
// about a data subject.
// +kubebuilder:validation:XValidation:rule="self.lawfulBasis != 'LegitimateInterests' || (has(self.legitimateInterest) && size(self.legitimateInterest.trim()) > 0)",message="spec.processing.purposes[].legitimateInterest is required when lawfulBasis is LegitimateInterests: name the interest pursued, such as \"fraud prevention on card payments\"",fieldPath=".legitimateInterest"
// +kubebuilder:validation:XValidation:rule="self.lawfulBasis == 'LegitimateInterests' || !has(self.legitimateInterest)",message="spec.processing.purposes[].legitimateInterest is only for lawfulBasis LegitimateInterests: a purpose has one lawful basis, so remove it or change the basis",fieldPath=".legitimateInterest"
// +kubebuilder:validation:XValidation:rule="!has(self.specialCategories) || size(self.specialCategories) == 0 || has(self.specialCategoryCondition)",message="spec.processing.purposes[].specialCategoryCondition is required when specialCategories lists any: one of ExplicitConsent, EmploymentAndSocialProtection, VitalInterests, NotForProfitBody, MadePublicByDataSubject, LegalClaims, SubstantialPublicInterest, HealthOrSocialCare, PublicHealth, ArchivingResearchStatistics (Art. 9(2))",fieldPath=".specialCategoryCondition"
// +kubebuilder:validation:XValidation:rule="!has(self.specialCategoryCondition) || (has(self.specialCategories) && size(self.specialCategories) > 0)",message="spec.processing.purposes[].specialCategoryCondition is only for a purpose that lists specialCategories: list the special categories it allows processing, or remove it",fieldPath=".specialCategoryCondition"
type Purpose struct {
	// name is the purpose as a fideslang data use: lowercase words (a-z, 0-9, _)
	// joined by dots, starting with one of analytics, collect, employment,
	// essential, finance, functional, marketing, operations, personalize, sales,
	// third_party_sharing or train_ai_system. A key of the taxonomy
	// ("essential.service.payment_processing", "essential.fraud_detection") or a
	// custom key under one ("essential.service.payment_processing.refunds").
	// Unique within the workload.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:XValidation:rule=`self.matches(r'^(analytics|collect|employment|essential|finance|functional|marketing|operations|personalize|sales|third_party_sharing|train_ai_system)(\.[a-z0-9_]+)*$')`,message=`spec.processing.purposes[].name must be a fideslang data use: lowercase words of a-z, 0-9 and _ joined by dots, starting with one of analytics, collect, employment, essential, finance, functional, marketing, operations, personalize, sales, third_party_sharing, train_ai_system (such as essential.service.payment_processing)`,messageExpression=`'spec.processing.purposes[].name "' + self + '" is not a fideslang data use: write lowercase words of a-z, 0-9 and _ joined by dots, starting with one of analytics, collect, employment, essential, finance, functional, marketing, operations, personalize, sales, third_party_sharing, train_ai_system (such as essential.service.payment_processing)'`
	// +required
	Name string `json:"name"`

	// description says in a sentence or two what the processing does for this
	// purpose ("Charges the customer's card for an order and refunds it on
	// return."). No data about data subjects.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	// +required
	Description string `json:"description"`

	// lawfulBasis is the lawful basis of Art. 6(1) the purpose rests on, one per
	// purpose: Consent, Contract, LegalObligation, VitalInterests, PublicTask or
	// LegitimateInterests.
	// +required
	LawfulBasis LawfulBasis `json:"lawfulBasis"`

	// legitimateInterest names the interest pursued ("fraud prevention on card
	// payments"). Required when lawfulBasis is LegitimateInterests, refused with
	// any other basis.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	LegitimateInterest string `json:"legitimateInterest,omitempty"`

	// dataCategories are the categories of personal data processed, as fideslang
	// data categories: lowercase words (a-z, 0-9, _) joined by dots under user or
	// system ("user.financial.bank_account", "user.contact.email"), a key of the
	// taxonomy or a custom key under one. Categories, never the data itself.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=256
	// +kubebuilder:validation:items:XValidation:rule=`self.matches(r'^(user|system)(\.[a-z0-9_]+)*$')`,message=`spec.processing.purposes[].dataCategories entries must be fideslang data categories: lowercase words of a-z, 0-9 and _ joined by dots, under user or system (such as user.financial.bank_account)`,messageExpression=`'spec.processing.purposes[].dataCategories: "' + self + '" is not a fideslang data category: write lowercase words of a-z, 0-9 and _ joined by dots, under user or system (such as user.financial.bank_account)'`
	// +listType=set
	// +required
	DataCategories []string `json:"dataCategories"`

	// dataSubjects are the categories of people the data is about, as fideslang
	// data subjects: lowercase words (a-z, 0-9, _), joined by dots for a custom
	// key ("customer", "employee", "job_applicant"). Categories, never people.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=256
	// +kubebuilder:validation:items:XValidation:rule=`self.matches(r'^[a-z0-9_]+(\.[a-z0-9_]+)*$')`,message=`spec.processing.purposes[].dataSubjects entries must be fideslang data subjects: lowercase words of a-z, 0-9 and _ joined by dots (such as customer, employee, job_applicant)`,messageExpression=`'spec.processing.purposes[].dataSubjects: "' + self + '" is not a fideslang data subject: write lowercase words of a-z, 0-9 and _ joined by dots (such as customer, employee, job_applicant)'`
	// +listType=set
	// +required
	DataSubjects []string `json:"dataSubjects"`

	// specialCategories lists the special categories of Art. 9(1) processed, if
	// any: RacialOrEthnicOrigin, PoliticalOpinions,
	// ReligiousOrPhilosophicalBeliefs, TradeUnionMembership, Genetic, Biometric,
	// Health, SexLifeOrOrientation. Listing any requires specialCategoryCondition,
	// spec.hardening.profile Immutable and at least one region in
	// spec.residency.allowedRegions.
	// +kubebuilder:validation:MaxItems=8
	// +listType=set
	// +optional
	SpecialCategories []SpecialCategory `json:"specialCategories,omitempty"`

	// specialCategoryCondition is the condition of Art. 9(2) that allows
	// processing the special categories listed: ExplicitConsent,
	// EmploymentAndSocialProtection, VitalInterests, NotForProfitBody,
	// MadePublicByDataSubject, LegalClaims, SubstantialPublicInterest,
	// HealthOrSocialCare, PublicHealth or ArchivingResearchStatistics. Required
	// with specialCategories, refused without them.
	// +optional
	SpecialCategoryCondition SpecialCategoryCondition `json:"specialCategoryCondition,omitempty"`

	// retention is how long the data is kept (Art. 30(1)(f)): an ISO 8601 duration
	// ("P7Y", "P6M", "P90D"), hours or days ("8760h", "90d"), or a sentence of at
	// least 20 characters and three words, ending with a full stop, that says what
	// ends it ("Deleted 30 days after the customer closes the account."). A text
	// that defers to a policy or to need instead ("as per policy", "as needed",
	// "as long as necessary", "to be decided") is refused: regulators ask for the
	// period itself.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:XValidation:rule=`(self.matches(r'^P([0-9]+Y)?([0-9]+M)?([0-9]+W)?([0-9]+D)?(T([0-9]+H)?([0-9]+M)?([0-9]+S)?)?$') && self.matches(r'[0-9]') && !self.endsWith('T')) || self.matches(r'^[0-9]+[hd]$') || (size(self.trim()) >= 20 && self.trim().endsWith('.') && self.trim().matches(r'^\S+\s+\S+\s+\S+'))`,message=`spec.processing.purposes[].retention must be a duration or a sentence: an ISO 8601 duration (P7Y, P6M, P90D, P1Y6M, PT12H), hours or days (8760h, 90d), or at least 20 characters and three words ending with a full stop that say what ends it ("Deleted 30 days after the customer closes the account.")`
	// +kubebuilder:validation:XValidation:rule=`!self.lowerAscii().matches(r'\b(per|according to|in line with|in accordance with|following) (the |our |company |internal |applicable |group |data |retention |privacy )*polic(y|ies)\b|\bas (needed|necessary|appropriate)\b|\b(tbd|tba|todo)\b|\bto be (decided|determined|defined|confirmed|agreed)\b')`,message=`spec.processing.purposes[].retention must state the period or what ends it, not defer to a policy or to need: "as per policy", "according to the retention policy", "as needed", "as long as necessary" and "to be decided" are refused; write, for example, P7Y or "Deleted 30 days after the customer closes the account."`
	// +required
	Retention string `json:"retention"`

	// source says where the data comes from (Art. 14(2)(f)): "collected from the
	// data subject at checkout", "received from the card network".
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Source string `json:"source,omitempty"`

	// recipients are the categories of recipients the data is disclosed to (Art.
	// 30(1)(d)): organisations or kinds of organisation ("card networks", "tax
	// authority"), not people. Recipients outside the EU/EEA go in
	// thirdCountryTransfers too.
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=256
	// +listType=set
	// +optional
	Recipients []string `json:"recipients,omitempty"`
}

// ThirdCountryTransfer is a transfer of the workload's personal data to a
// country outside the EU/EEA (Art. 30(1)(e)), with the legal ground that
// allows it.
type ThirdCountryTransfer struct {
	// country is the destination outside the EU/EEA, as an ISO 3166-1 alpha-2 code
	// ("US", "IN", "GB" for the United Kingdom). An EU or EEA country is refused:
	// data moving within the EU/EEA is no third-country transfer.
	// +kubebuilder:validation:Pattern=`^[A-Z]{2}$`
	// +kubebuilder:validation:XValidation:rule="self != 'UK'",message="spec.processing.thirdCountryTransfers[].country UK is not an ISO 3166-1 alpha-2 code: write GB for the United Kingdom"
	// +kubebuilder:validation:XValidation:rule="!(self in ['AT', 'BE', 'BG', 'CY', 'CZ', 'DE', 'DK', 'EE', 'EL', 'ES', 'FI', 'FR', 'GR', 'HR', 'HU', 'IE', 'IS', 'IT', 'LI', 'LT', 'LU', 'LV', 'MT', 'NL', 'NO', 'PL', 'PT', 'RO', 'SE', 'SI', 'SK'])",message="spec.processing.thirdCountryTransfers[].country must be outside the EU/EEA: data moving within AT, BE, BG, CY, CZ, DE, DK, EE, ES, FI, FR, GR (EL), HR, HU, IE, IT, LT, LU, LV, MT, NL, PL, PT, RO, SE, SI, SK (the EU) and IS, LI, NO (the EEA) is no third-country transfer, so leave it out",messageExpression="'spec.processing.thirdCountryTransfers[].country ' + self + ' is in the EU/EEA, so data moving there is no third-country transfer: list only countries outside AT, BE, BG, CY, CZ, DE, DK, EE, ES, FI, FR, GR (EL), HR, HU, IE, IT, LT, LU, LV, MT, NL, PL, PT, RO, SE, SI, SK (the EU) and IS, LI, NO (the EEA)'"
	// +required
	Country string `json:"country"`

	// recipient is the organisation receiving the data ("Example Support Inc."),
	// not a person.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	// +required
	Recipient string `json:"recipient"`

	// safeguard is the legal ground of the transfer (GDPR Chapter V):
	// AdequacyDecision (Art. 45), StandardContractualClauses (Art. 46(2)(c)),
	// BindingCorporateRules (Art. 47) or Derogation (Art. 49). A transfer without
	// one is refused.
	// +required
	Safeguard TransferSafeguard `json:"safeguard,omitempty"`
}

// Review records when the record of processing was last checked, and by which
// role or team.
type Review struct {
	// date is the day of the review, YYYY-MM-DD ("2026-03-31"). The API server
	// checks the form and that the day exists, not that it is in the past: its
	// rules have no clock.
	// +kubebuilder:validation:Format=date
	// +required
	Date string `json:"date"`

	// by is the role or team that reviewed it ("Data Protection Office"), not a
	// person's name.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	// +required
	By string `json:"by"`
}

// Processing is the workload's entry in the record of processing activities
// (GDPR Art. 30). It maps onto a fideslang system with one privacy declaration
// per purpose, and keeps what Art. 30 asks for that fideslang lacks (the role,
// the controller, transfers and their safeguards). `kubectl amber records`
// prints it with the measures Amber can prove beside it. It describes the
// processing, never the people: no field holds data about a data subject.
type Processing struct {
	// role is Controller when the organisation running the workload decides why
	// and how the data is processed (Art. 30(1)), Processor when it processes on a
	// controller's behalf (Art. 30(2)).
	// +required
	Role ProcessingRole `json:"role"`

	// controller is the controller responsible: the organisation itself when role
	// is Controller, the one it acts for when role is Processor. An organisation
	// and a role contact, not a person.
	// +required
	Controller Party `json:"controller"`

	// representative is the controller's representative in the EU (Art. 27), for a
	// controller established outside it. An organisation and a role contact, not a
	// person.
	// +optional
	Representative *Party `json:"representative,omitempty"`

	// dataProtectionOfficer is how to reach the data protection officer (Art. 37):
	// a role and a role contact ("Data Protection Office", "dpo@example.com"), not
	// a person's name.
	// +optional
	DataProtectionOfficer *Party `json:"dataProtectionOfficer,omitempty"`

	// purposes are the purposes of the processing, at least one, each with its
	// lawful basis, the categories of data and of people, retention, source and
	// recipients. Names are unique.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=32
	// +listType=map
	// +listMapKey=name
	// +required
	Purposes []Purpose `json:"purposes"`

	// thirdCountryTransfers are the transfers of the data to countries outside the
	// EU/EEA, each with its recipient and safeguard. Leave it out when the data
	// stays in the EU/EEA.
	// +kubebuilder:validation:MaxItems=32
	// +listType=atomic
	// +optional
	ThirdCountryTransfers []ThirdCountryTransfer `json:"thirdCountryTransfers,omitempty"`

	// lastReviewed is when the record was last reviewed, and by which role or
	// team.
	// +optional
	LastReviewed *Review `json:"lastReviewed,omitempty"`
}

// AdmissionMode says whether the API server refuses in-place changes to a workload's pods.
// +kubebuilder:validation:Enum=Enforce;Audit;Off
type AdmissionMode string

const (
	// AdmissionEnforce: in-place changes, debug containers, resizes, exec, attach and
	// port-forward on the workload's pods are refused, and each refusal is an AccessDenied
	// entry.
	AdmissionEnforce AdmissionMode = "Enforce"
	// AdmissionAudit: they are allowed, recorded as AdmissionWouldDeny entries, and the client
	// gets a warning. Drift detection still replaces a changed pod.
	AdmissionAudit AdmissionMode = "Audit"
	// AdmissionOff: admission lets everything through; drift detection alone answers.
	AdmissionOff AdmissionMode = "Off"
)

// AdmissionPolicy says how the API server guards a workload's pods.
type AdmissionPolicy struct {
	// mode is Enforce (the default: in-place changes to the pods, kubectl debug, resizes,
	// exec, attach and port-forward are refused and recorded), Audit (allowed, recorded as
	// AdmissionWouldDeny, the client warned) or Off (not looked at; drift detection still
	// replaces a changed pod).
	// +kubebuilder:default=Enforce
	// +optional
	Mode AdmissionMode `json:"mode,omitempty"`
}
